import { StackConfig } from "../config/stackConfig";
import { PORTS, HEALTH_CHECK_PATH } from "./ports";

/**
 * The single source of naming. Node names, private DNS names, database and schema names and on-node paths
 * are decided here, once, and read by both the node renderers and the AWS components, so the configuration
 * a node gets and the DNS record that resolves it can never disagree.
 */

export interface NodePlan {
    /** 1-based. */
    readonly index: number;
    /** Short name, used in resource names and the private zone: apim-1. */
    readonly name: string;
    /** Stable private DNS name, known before any instance exists: apim-1.apim.internal. */
    readonly hostName: string;
    /** Which of the private subnets (round robin over zones) the node lives in. */
    readonly zoneSlot: number;
}

/** The Universal Gateways' side of the plan, when the stack has them. */
export interface GatewayPlan {
    /** Short name, used in resource names and the gateways' log streams: gateway. */
    readonly name: string;
    /**
     * How gateways reach the control plane (key manager, event hub, throttling service URLs): a private name
     * resolving to every pair node, so no one node is a single point of failure for them. The cluster
     * certificate names it.
     */
    readonly controlPlaneHostName: string;
    /** The gateway pack's start script, relative to APIM_HOME (the pack has no api-manager.sh). */
    readonly startScript: string;
}

export interface ClusterPlan {
    readonly nodes: readonly NodePlan[];
    /** Undefined while the stack has no Universal Gateways. */
    readonly gateways?: GatewayPlan;
    readonly privateZoneName: string;
    readonly hostNames: { readonly portal: string; readonly gateway: string };
    readonly database: {
        /** Stable private name of the database (a CNAME to the RDS endpoint). */
        readonly hostName: string;
        readonly port: number;
        readonly apimDbName: string;
        readonly sharedDbName: string;
        /** Account that only creates schemas and users at boot; WSO2 never uses it. */
        readonly masterUsername: string;
        /** WSO2's own account, granted the two schemas only. */
        readonly apimUsername: string;
    };
    /** The POSIX account that runs API-M and owns the shared artifacts (the EFS access point uses the same ids). */
    readonly runAs: { readonly user: string; readonly uid: number; readonly gid: number };
    readonly paths: {
        readonly apimHome: string;
        readonly configDir: string;
        readonly nodeEnvFile: string;
        readonly deploymentToml: string;
        /** Where the boot script is installed and run from (the loader fetches it from S3 to here). */
        readonly bootstrapScript: string;
        /** The boot loader cloud-init writes and runs, and its env file. */
        readonly bootLoader: string;
        readonly bootLoaderEnvFile: string;
        readonly systemdUnit: string;
    };
    readonly keystore: { readonly file: string; readonly alias: string; readonly truststoreFile: string };
    readonly mysqlConnectorUrl: string;
    readonly healthCheckUrl: string;
    readonly javaPackage: string;
}

export const APIM_DB_NAME = "WSO2AM_DB";
export const SHARED_DB_NAME = "WSO2SHARED_DB";

export function nodeName(index: number): string {
    return `apim-${index}`;
}

/** The zone slots available to nodes: one per private subnet. */
export function zoneSlotCount(config: StackConfig): number {
    return config.network.mode === "new" ? config.network.availabilityZoneCount : config.network.privateSubnetIds.length;
}

export function planCluster(config: StackConfig): ClusterPlan {
    const zone = config.privateZoneName;
    const slots = zoneSlotCount(config);
    const nodes = Array.from({ length: config.nodes.count }, (_, i) => ({
        index: i + 1,
        name: nodeName(i + 1),
        hostName: `${nodeName(i + 1)}.${zone}`,
        zoneSlot: i % slots,
    }));
    const configDir = "/etc/wso2am";
    const connector = config.apim.mysqlConnectorVersion;
    return {
        nodes,
        gateways: config.gateways.enabled ? { name: "gateway", controlPlaneHostName: `control-plane.${zone}`, startScript: "bin/gateway.sh" } : undefined,
        privateZoneName: zone,
        hostNames: config.hostNames,
        database: {
            hostName: `db.${zone}`,
            port: PORTS.mysql,
            apimDbName: APIM_DB_NAME,
            sharedDbName: SHARED_DB_NAME,
            masterUsername: "wso2admin",
            apimUsername: "wso2apim",
        },
        runAs: { user: "wso2apim", uid: 10001, gid: 10001 },
        paths: {
            apimHome: "/opt/wso2am",
            configDir,
            nodeEnvFile: `${configDir}/node.env`,
            deploymentToml: `${configDir}/deployment.toml`,
            bootstrapScript: "/usr/local/sbin/wso2am-bootstrap",
            bootLoader: "/usr/local/sbin/wso2am-boot-loader",
            bootLoaderEnvFile: `${configDir}/boot-loader.env`,
            systemdUnit: "/etc/systemd/system/wso2am.service",
        },
        keystore: { file: "apim-keystore.p12", alias: "apim", truststoreFile: "apim-truststore.p12" },
        mysqlConnectorUrl: `https://repo1.maven.org/maven2/com/mysql/mysql-connector-j/${connector}/mysql-connector-j-${connector}.jar`,
        healthCheckUrl: `https://127.0.0.1:${PORTS.portalHttps}${HEALTH_CHECK_PATH}`,
        // Corretto 21 is the one JDK every supported version accepts (4.5/4.6: 11-21, 4.7: 21-25).
        javaPackage: "java-21-amazon-corretto-headless",
    };
}

/** The other nodes of the pair, whose brokers and traffic managers a node must publish to. */
export function peersOf(plan: ClusterPlan, node: NodePlan): NodePlan[] {
    return plan.nodes.filter((n) => n.index !== node.index);
}

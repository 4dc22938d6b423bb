import { StackConfig } from "../config/stackConfig";
import { ClusterPlan, NodePlan } from "../plan/clusterPlan";
import type { BootScriptLocation } from "./bootScript";

/** Cloud-generated ids a node needs at boot; the only inputs of a node that come from other resources. */
export interface NodeCloudFacts {
    readonly fileSystemId: string;
    readonly accessPointId: string;
    readonly secretArn: string;
    readonly region: string;
    /** CloudWatch log group the node ships its boot and server logs to. */
    readonly logGroupName: string;
    /** The S3 object the boot loader fetches the boot script from, and its SHA-256. */
    readonly bootScript: BootScriptLocation;
}

/** The non-secret parameters of the boot script (config-templates/bootstrap.sh), in order. */
export function nodeEnvironment(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): [string, string][] {
    const db = plan.database;
    return [
        ["APIM_VERSION", config.apim.version],
        ["APIM_HOME", plan.paths.apimHome],
        ["APIM_USER", plan.runAs.user],
        ["APIM_UID", String(plan.runAs.uid)],
        ["APIM_GID", String(plan.runAs.gid)],
        ["DISTRIBUTION_URL", config.apim.distributionUrl],
        ["DISTRIBUTION_SHA256", config.apim.distributionSha256],
        ["MYSQL_CONNECTOR_URL", plan.mysqlConnectorUrl],
        ["MYSQL_CONNECTOR_SHA256", config.apim.mysqlConnectorSha256],
        ["JAVA_PACKAGE", plan.javaPackage],
        ["JVM_HEAP_MB", String(config.apim.jvmHeapSizeMb)],
        ["NODE_NAME", node.name],
        ["NODE_HOST_NAME", node.hostName],
        ["PORTAL_HOST_NAME", plan.hostNames.portal],
        ["DB_HOST", db.hostName],
        ["DB_PORT", String(db.port)],
        ["DB_MASTER_USER", db.masterUsername],
        ["DB_USER", db.apimUsername],
        ["APIM_DB_NAME", db.apimDbName],
        ["SHARED_DB_NAME", db.sharedDbName],
        // RDS may still be creating when the nodes boot; creation takes 10-25 minutes (Multi-AZ longer).
        ["DB_WAIT_SECONDS", "2400"],
        ["RDS_CA_BUNDLE_URL", `https://truststore.pki.rds.amazonaws.com/${facts.region}/${facts.region}-bundle.pem`],
        ["EFS_FILE_SYSTEM_ID", facts.fileSystemId],
        ["EFS_ACCESS_POINT_ID", facts.accessPointId],
        ["SECRET_ARN", facts.secretArn],
        ["AWS_REGION", facts.region],
        ["KEYSTORE_FILE", plan.keystore.file],
        ["KEYSTORE_ALIAS", plan.keystore.alias],
        ["TRUSTSTORE_FILE", plan.keystore.truststoreFile],
        ["HEALTH_CHECK_URL", plan.healthCheckUrl],
        ["READY_TIMEOUT_SECONDS", "900"],
    ];
}

/**
 * The boot loader's parameters (config-templates/boot-loader.sh): where the boot script is, what it must
 * hash to, where it goes. Its own file: node.env is the boot script's contract and the server's environment.
 */
export function bootLoaderEnvironment(plan: ClusterPlan, facts: NodeCloudFacts): [string, string][] {
    return [
        ["BOOT_SCRIPT_BUCKET", facts.bootScript.bucket],
        ["BOOT_SCRIPT_KEY", facts.bootScript.key],
        ["BOOT_SCRIPT_SHA256", facts.bootScript.sha256],
        ["BOOT_SCRIPT_PATH", plan.paths.bootstrapScript],
        ["AWS_REGION", facts.region],
    ];
}

/** Characters that would change meaning in bash `source` or a systemd EnvironmentFile. */
const UNSAFE = /["\\$`\n\r]/;

/** `KEY="value"` lines, readable both by bash and by systemd's EnvironmentFile. */
export function renderNodeEnvFile(entries: [string, string][]): string {
    const unsafe = entries.filter(([, value]) => UNSAFE.test(value)).map(([key]) => key);
    if (unsafe.length > 0) throw new Error(`node environment values must not contain quotes, backslashes, $ or backticks: ${unsafe.join(", ")}`);
    return "# Rendered by the wso2-apim-ha Pulumi program. Non-secret: secrets come from Secrets Manager at boot.\n" +
        entries.map(([key, value]) => `${key}="${value}"`).join("\n") + "\n";
}

/** The `KEY="value"` lines of an env file renderNodeEnvFile wrote, as the boot scripts read them (comments skipped). */
export function parseNodeEnvFile(text: string): Record<string, string> {
    const entries: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const m = /^([A-Z][A-Z0-9_]*)="([^"]*)"$/.exec(line);
        if (m) entries[m[1]] = m[2];
    }
    return entries;
}

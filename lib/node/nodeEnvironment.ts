import * as crypto from "crypto";
import { StackConfig } from "../config/stackConfig";
import { ClusterPlan, NodePlan } from "../plan/clusterPlan";
import { HEALTH_CHECK_PATH, PORTS } from "../plan/ports";
import type { BootScriptLocation } from "./bootScript";

/** Cloud-generated ids every machine (a pair node or a gateway) needs at boot: the only inputs that come from other resources. */
export interface CloudFacts {
    readonly secretArn: string;
    readonly region: string;
    /** CloudWatch log group the machine ships its boot and server logs to. */
    readonly logGroupName: string;
    /** The S3 object the boot loader fetches the boot script from, and its SHA-256. */
    readonly bootScript: BootScriptLocation;
    /** The cluster certificate (public): with gateways, its digest goes into user data. */
    readonly keystoreCertificatePem?: string;
}

/** A pair node's cloud ids: those of every machine, and the shared file system's. */
export interface NodeCloudFacts extends CloudFacts {
    readonly fileSystemId: string;
    readonly accessPointId: string;
}

/** A gateway keeps no shared files: the cloud ids of every machine, no more. */
export type GatewayCloudFacts = CloudFacts;

/**
 * Every key of the boot script's env file (config-templates/bootstrap.sh), in the order the file lists
 * them; each role leaves out the keys it does without. ROLE and START_SCRIPT are absent from a node's file:
 * the script reads their absence as the pair's values, so the nodes' user data did not change with roles.
 */
const ENV_KEYS = [
    "ROLE",
    "APIM_VERSION",
    "APIM_HOME",
    "APIM_USER",
    "APIM_UID",
    "APIM_GID",
    "DISTRIBUTION_URL",
    "DISTRIBUTION_SHA256",
    "START_SCRIPT",
    "MYSQL_CONNECTOR_URL",
    "MYSQL_CONNECTOR_SHA256",
    "JAVA_PACKAGE",
    "JVM_HEAP_MB",
    "NODE_NAME",
    "NODE_HOST_NAME",
    "PORTAL_HOST_NAME",
    "DB_HOST",
    "DB_PORT",
    "DB_MASTER_USER",
    "DB_USER",
    "APIM_DB_NAME",
    "SHARED_DB_NAME",
    "DB_WAIT_SECONDS",
    "RDS_CA_BUNDLE_URL",
    "EFS_FILE_SYSTEM_ID",
    "EFS_ACCESS_POINT_ID",
    "SECRET_ARN",
    "AWS_REGION",
    "KEYSTORE_FILE",
    "KEYSTORE_ALIAS",
    "TRUSTSTORE_FILE",
    "KEYSTORE_CERT_SHA256",
    "CONTROL_PLANE_URL",
    "CONTROL_PLANE_WAIT_SECONDS",
    "HEALTH_CHECK_URL",
    "READY_TIMEOUT_SECONDS",
] as const;

type EnvKey = (typeof ENV_KEYS)[number];
type EnvValues = Partial<Record<EnvKey, string>>;

/** The env file's entries, in ENV_KEYS order: one layout for every role. */
function bootEnvironment(values: EnvValues): [string, string][] {
    return ENV_KEYS.filter((key) => values[key] !== undefined).map((key) => [key, values[key]!]);
}

/**
 * The SHA-256 of the cluster certificate as the boot script holds it (the secret's value, trailing newlines
 * dropped). Only with gateways: their certificate names control-plane.<zone>, and carrying its digest in
 * user data makes a new certificate roll the nodes, which read the secret only at boot.
 */
function certificateDigest(config: StackConfig, facts: CloudFacts): string | undefined {
    if (!config.gateways.enabled || facts.keystoreCertificatePem === undefined) return undefined;
    return crypto.createHash("sha256").update(facts.keystoreCertificatePem.replace(/\n+$/, "")).digest("hex");
}

/** What every role's env file holds alike: the run-as account, the JDK, the secret, the keystores, the health check. */
function sharedValues(config: StackConfig, plan: ClusterPlan, facts: CloudFacts): EnvValues {
    return {
        KEYSTORE_CERT_SHA256: certificateDigest(config, facts),
        APIM_VERSION: config.apim.version,
        APIM_HOME: plan.paths.apimHome,
        APIM_USER: plan.runAs.user,
        APIM_UID: String(plan.runAs.uid),
        APIM_GID: String(plan.runAs.gid),
        JAVA_PACKAGE: plan.javaPackage,
        SECRET_ARN: facts.secretArn,
        AWS_REGION: facts.region,
        KEYSTORE_FILE: plan.keystore.file,
        KEYSTORE_ALIAS: plan.keystore.alias,
        TRUSTSTORE_FILE: plan.keystore.truststoreFile,
        HEALTH_CHECK_URL: plan.healthCheckUrl,
        READY_TIMEOUT_SECONDS: "900",
    };
}

/** The non-secret parameters of a pair node's boot script, in order. */
export function nodeEnvironment(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): [string, string][] {
    const db = plan.database;
    return bootEnvironment({
        ...sharedValues(config, plan, facts),
        DISTRIBUTION_URL: config.apim.distributionUrl,
        DISTRIBUTION_SHA256: config.apim.distributionSha256,
        MYSQL_CONNECTOR_URL: plan.mysqlConnectorUrl,
        MYSQL_CONNECTOR_SHA256: config.apim.mysqlConnectorSha256,
        JVM_HEAP_MB: String(config.apim.jvmHeapSizeMb),
        NODE_NAME: node.name,
        NODE_HOST_NAME: node.hostName,
        PORTAL_HOST_NAME: plan.hostNames.portal,
        DB_HOST: db.hostName,
        DB_PORT: String(db.port),
        DB_MASTER_USER: db.masterUsername,
        DB_USER: db.apimUsername,
        APIM_DB_NAME: db.apimDbName,
        SHARED_DB_NAME: db.sharedDbName,
        // RDS may still be creating when the nodes boot; creation takes 10-25 minutes (Multi-AZ longer).
        DB_WAIT_SECONDS: "2400",
        RDS_CA_BUNDLE_URL: `https://truststore.pki.rds.amazonaws.com/${facts.region}/${facts.region}-bundle.pem`,
        EFS_FILE_SYSTEM_ID: facts.fileSystemId,
        EFS_ACCESS_POINT_ID: facts.accessPointId,
    });
}

/**
 * The non-secret parameters of a Universal Gateway's boot script, in order: the gateway pack and its start
 * script, the gateways' heap and name; no database, shared file system or portal (the role skips those steps).
 */
export function gatewayEnvironment(config: StackConfig, plan: ClusterPlan, facts: GatewayCloudFacts): [string, string][] {
    const gateways = config.gateways;
    if (!gateways.enabled || !plan.gateways) throw new Error("gateway environment: the stack has no Universal Gateways (gatewaysEnabled is false)");
    return bootEnvironment({
        ...sharedValues(config, plan, facts),
        ROLE: "gateway",
        DISTRIBUTION_URL: gateways.distributionUrl,
        DISTRIBUTION_SHA256: gateways.distributionSha256,
        START_SCRIPT: plan.gateways.startScript,
        JVM_HEAP_MB: String(gateways.jvmHeapSizeMb),
        NODE_NAME: plan.gateways.name,
        // the pair's own readiness: a gateway started before it serves finds no APIs to load
        CONTROL_PLANE_URL: `https://${plan.gateways.controlPlaneHostName}:${PORTS.portalHttps}${HEALTH_CHECK_PATH}`,
        // gateways launch minutes into a first deploy; the pair serves only once RDS exists (up to 23 min in prod)
        CONTROL_PLANE_WAIT_SECONDS: "2400",
    });
}

/**
 * The boot loader's parameters (config-templates/boot-loader.sh): where the boot script is, what it must
 * hash to, where it goes. Its own file: node.env is the boot script's contract and the server's environment.
 */
export function bootLoaderEnvironment(plan: ClusterPlan, facts: CloudFacts): [string, string][] {
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

import * as fs from "fs";
import * as path from "path";
import type { Input } from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import { isValidCidr, cidrPrefixLength } from "./cidr";
import { readYamlFile } from "./configFile";
import { deepFreeze } from "../deepFreeze";
import { closestNames, orList } from "./nameSuggestions";
import { MYSQL_MAJOR_VERSIONS, mysqlMajorVersion } from "../plan/databaseEngine";

/** API-M versions this program knows how to configure (their deployment.toml keys and schema scripts). */
export const SUPPORTED_APIM_VERSIONS = ["4.5.0", "4.6.0", "4.7.0"] as const;
export type ApimVersion = (typeof SUPPORTED_APIM_VERSIONS)[number];

export const CERTIFICATE_MODES = ["existing", "dns-validated", "self-signed"] as const;
export type CertificateMode = (typeof CERTIFICATE_MODES)[number];

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * WSO2's all-in-one active-active pattern is a pair. Each node copies token revocations, webhook and
 * throttle events to its peers through one JMS connection whose broker list the Andes client treats as a
 * failover list, so with three or more nodes only the first reachable peer would get each event.
 */
export const MAX_NODES = 2;

export type NetworkConfig =
    | { readonly mode: "new"; readonly vpcCidr: string; readonly availabilityZoneCount: number; readonly natGateways: "perAz" | "single" }
    | { readonly mode: "existing"; readonly vpcId: string; readonly publicSubnetIds: readonly string[]; readonly privateSubnetIds: readonly string[] };

export type CertificateConfig =
    | { readonly mode: "existing"; readonly arn: string; readonly hostedZoneName?: string }
    | { readonly mode: "dns-validated"; readonly hostedZoneName: string }
    | { readonly mode: "self-signed"; readonly hostedZoneName?: string };

/** WSO2 Universal Gateways in an Auto Scaling group, taking the gateway host's traffic from the pair. */
export type GatewaysConfig =
    | { readonly enabled: false }
    | {
          readonly enabled: true;
          readonly minSize: number;
          readonly maxSize: number;
          readonly instanceType: string;
          readonly jvmHeapSizeMb: number;
          /** Average CPU utilisation target tracking keeps the group at. */
          readonly targetCpuPercent: number;
          /** Always a concrete URL: the GA release of the gateway pack when the stack leaves it empty. */
          readonly distributionUrl: string;
          readonly distributionSha256: string;
      };

export type AnalyticsConfig =
    | { readonly enabled: false }
    | { readonly enabled: true; readonly configEndpoint: string; readonly authToken: Input<string> };

/** A stack's configuration with every default applied and every value checked. */
export interface StackConfig {
    readonly apim: {
        readonly version: ApimVersion;
        /** Always a concrete URL: the GA release when the stack leaves distributionUrl empty. */
        readonly distributionUrl: string;
        readonly distributionSha256: string;
        readonly mysqlConnectorVersion: string;
        readonly mysqlConnectorSha256: string;
        readonly adminUsername: string;
        readonly jvmHeapSizeMb: number;
    };
    readonly hostNames: { readonly portal: string; readonly gateway: string };
    readonly nodes: {
        readonly count: number;
        readonly instanceType: string;
        readonly rootVolumeSizeGb: number;
        /** Undefined: look the latest Amazon Linux 2023 AMI up once. */
        readonly amiId?: string;
    };
    readonly network: NetworkConfig;
    readonly privateZoneName: string;
    readonly allowedClientCidrs: readonly string[];
    readonly certificate: CertificateConfig;
    readonly database: {
        readonly instanceClass: string;
        readonly engineVersion: string;
        /** Paid RDS Extended Support; a version past standard support (8.0) cannot be created without it. */
        readonly extendedSupport: boolean;
        /** Lets `pulumi up` move the instance to a new major version (applied at once). */
        readonly allowMajorVersionUpgrade: boolean;
        readonly allocatedStorageGb: number;
        readonly maxAllocatedStorageGb: number;
        readonly multiAz: boolean;
        readonly backupRetentionDays: number;
        /** Create the instance from this RDS snapshot (name or ARN); undefined: an empty database. */
        readonly snapshotIdentifier?: string;
    };
    readonly deletionProtection: boolean;
    readonly loadBalancerAccessLogs: boolean;
    /** The ALB drops headers whose names are not [A-Za-z0-9-]; off, since API clients send api_key and the like. */
    readonly loadBalancerDropInvalidHeaders: boolean;
    readonly logRetentionDays: number;
    readonly analytics: AnalyticsConfig;
    readonly gateways: GatewaysConfig;
    /** CloudWatch alarms, their SNS topic, the dashboard and the saved queries; email subscribes to the topic. */
    readonly alarms: { readonly enabled: boolean; readonly email?: string };
    /** Interface endpoints (and, in a new VPC, an S3 gateway endpoint) for the AWS APIs the nodes call. */
    readonly vpcEndpoints: boolean;
}

/** One declared key of Pulumi.yaml's `config:` block. */
export interface DeclaredKey {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly description: string;
    readonly default?: unknown;
}

export interface ConfigProblem {
    readonly key: string;
    readonly message: string;
}

/**
 * Raised with every problem found, so a user fixes their stack file in one round. A RunError, which the
 * Pulumi CLI prints as its message alone, without a stack trace.
 */
export class StackConfigError extends RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

export const PROJECT_FILE = path.join(__dirname, "..", "..", "Pulumi.yaml");

const declaredKeysRead = new Map<string, { readonly text: string; readonly keys: Readonly<Record<string, DeclaredKey>> }>();

/**
 * The `config:` block of Pulumi.yaml: the one place each key's type and default is written. Parsed once
 * per file content (the tests check hundreds of configurations against it) and frozen, since every
 * caller shares it.
 */
export function readDeclaredKeys(projectFile: string = PROJECT_FILE): Readonly<Record<string, DeclaredKey>> {
    // a missing file is left to readYamlFile, which names it
    const text = fs.existsSync(projectFile) ? fs.readFileSync(projectFile, "utf8") : undefined;
    const read = declaredKeysRead.get(projectFile);
    if (read && read.text === text) return read.keys;
    const project = readYamlFile(projectFile) as { config?: Record<string, DeclaredKey> } | null;
    const keys = deepFreeze(project?.config ?? {});
    if (text !== undefined) declaredKeysRead.set(projectFile, { text, keys });
    return keys;
}

/** Keys of the AWS provider that newcomers set without their `aws:` namespace. */
const PROVIDER_KEYS: Readonly<Record<string, string>> = { region: "aws:region", profile: "aws:profile", defaultTags: "aws:defaultTags" };

/** Why a key is not one of the project's, and which declared key it probably meant. */
function unknownKeyMessage(key: string, declared: readonly string[]): string {
    const provider = PROVIDER_KEYS[key];
    if (provider) return `not a key of this project; did you mean the AWS provider's ${provider} (\`pulumi config set ${provider} …\`)?`;
    const near = closestNames(key, declared);
    if (near.length > 0) return `unknown key; did you mean ${orList(near)}?`;
    return "unknown key: Pulumi.yaml declares no such key (docs/configuration.md lists every key)";
}

export function gaDistributionUrl(version: string): string {
    return `https://github.com/wso2/product-apim/releases/download/v${version}/wso2am-${version}.zip`;
}

/** The Universal Gateway pack, released beside the all-in-one one. */
export function gaGatewayDistributionUrl(version: string): string {
    return `https://github.com/wso2/product-apim/releases/download/v${version}/wso2am-universal-gw-${version}.zip`;
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
export function isDnsName(value: string, minLabels = 2): boolean {
    if (value.length > 253 || value !== value.toLowerCase()) return false;
    const labels = value.split(".");
    return labels.length >= minLabels && labels.every((l) => HOST_LABEL.test(l));
}

const SHA256 = /^[0-9a-f]{64}$/;
const PLACEHOLDER_SHA256 = "0".repeat(64);

/**
 * Turns raw stack config (strings as Pulumi hands them over, or native values) into a StackConfig,
 * applying Pulumi.yaml's defaults. Throws one StackConfigError naming every bad key.
 * `raw.analyticsAuthToken` may be a secret Output: only its presence is checked here.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>, declared: Readonly<Record<string, DeclaredKey>> = readDeclaredKeys()): StackConfig {
    const problems: ConfigProblem[] = [];
    const bad = (key: string, message: string) => problems.push({ key, message });
    const isSet = (key: string) => raw[key] !== undefined && raw[key] !== "" && !(Array.isArray(raw[key]) && (raw[key] as unknown[]).length === 0);

    for (const key of Object.keys(raw)) {
        if (!(key in declared)) bad(key, unknownKeyMessage(key, Object.keys(declared)));
    }

    // Coerce each declared key to its type, falling back to the Pulumi.yaml default.
    const values: Record<string, unknown> = {};
    for (const [key, decl] of Object.entries(declared)) {
        const given = raw[key];
        const value = given === undefined ? decl.default : given;
        if (value === undefined) {
            bad(key, `required; ${decl.description}`);
            continue;
        }
        const coerced = coerce(value, decl.type);
        if (coerced === undefined) bad(key, `expected ${decl.type === "array" ? "a list of strings" : `a ${decl.type}`}, got ${JSON.stringify(value)}`);
        else values[key] = coerced;
    }
    const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : "");
    const int = (k: string) => (typeof values[k] === "number" ? (values[k] as number) : NaN);
    const bool = (k: string) => values[k] === true;
    const list = (k: string) => (Array.isArray(values[k]) ? (values[k] as string[]) : []);
    const intIn = (k: string, min: number, max: number) => {
        const v = int(k);
        if (k in values && !(Number.isInteger(v) && v >= min && v <= max)) bad(k, `expected a whole number from ${min} to ${max}, got ${v}`);
        return v;
    };

    const version = str("apimVersion");
    if ("apimVersion" in values && !(SUPPORTED_APIM_VERSIONS as readonly string[]).includes(version)) {
        bad("apimVersion", `unsupported version "${version}"; expected one of ${SUPPORTED_APIM_VERSIONS.join(", ")}`);
    }
    const distributionUrl = str("distributionUrl") || gaDistributionUrl(version);
    if (!/^https:\/\/[^\s"'$`\\]+$/.test(distributionUrl)) bad("distributionUrl", `expected an https:// URL, got "${distributionUrl}"`);
    for (const key of ["distributionSha256", "mysqlConnectorSha256"]) {
        if (key in values && !SHA256.test(str(key))) bad(key, `expected 64 lower-case hex characters (sha256sum output), got "${str(key)}"`);
    }
    if ("mysqlConnectorVersion" in values && !/^\d+\.\d+\.\d+$/.test(str("mysqlConnectorVersion"))) {
        bad("mysqlConnectorVersion", `expected a version like 8.4.0, got "${str("mysqlConnectorVersion")}"`);
    }

    const portal = str("portalHostName");
    const gateway = str("gatewayHostName");
    for (const key of ["portalHostName", "gatewayHostName"]) {
        if (key in values && !isDnsName(str(key))) bad(key, `"${str(key)}" is not a fully qualified lower-case DNS host name (like api.example.com)`);
    }
    if (portal && portal === gateway) bad("gatewayHostName", `must differ from portalHostName ("${portal}"): the load balancer routes by host name`);

    const nodeCount = int("nodeCount");
    if ("nodeCount" in values && !(Number.isInteger(nodeCount) && nodeCount >= 2 && nodeCount <= MAX_NODES)) {
        bad("nodeCount", `expected 2, got ${nodeCount}: WSO2's all-in-one active-active deployment is a pair; with 3 or more nodes each node's duplicated events (token revocations, webhooks, throttle decisions) reach only one peer (docs/design.md, "Why two nodes")`);
    }
    if ("instanceType" in values && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(str("instanceType"))) {
        bad("instanceType", `expected an EC2 instance type like m6i.xlarge, got "${str("instanceType")}"`);
    }
    const jvmHeapSizeMb = intIn("jvmHeapSizeMb", 1024, 65536);
    const rootVolumeSizeGb = intIn("rootVolumeSizeGb", 20, 1024);
    const amiId = str("amiId");
    if (amiId && !/^ami-[0-9a-f]{8,17}$/.test(amiId)) bad("amiId", `expected an AMI id like ami-0123456789abcdef0, or empty to look one up, got "${amiId}"`);

    // The admin name ends up inside WSO2's generated AMQP URL, which breaks on URL metacharacters.
    if ("adminUsername" in values && !/^[A-Za-z][A-Za-z0-9._-]{2,29}$/.test(str("adminUsername"))) {
        bad("adminUsername", `expected 3-30 letters, digits, '.', '_' or '-' starting with a letter, got "${str("adminUsername")}"`);
    }
    const privateZoneName = str("privateZoneName");
    if ("privateZoneName" in values && !isDnsName(privateZoneName)) bad("privateZoneName", `"${privateZoneName}" is not a valid DNS zone name (like apim.internal)`);
    if (privateZoneName && (portal.endsWith(`.${privateZoneName}`) || portal === privateZoneName)) {
        bad("privateZoneName", `must not contain the public portal host name "${portal}"`);
    }

    // Network: a new VPC or an existing one, never both.
    const network = parseNetwork(values, isSet, bad, intIn);

    const allowedClientCidrs = list("allowedClientCidrs");
    if ("allowedClientCidrs" in values && allowedClientCidrs.length === 0) bad("allowedClientCidrs", "expected at least one CIDR (0.0.0.0/0 for the whole internet)");
    const badCidrs = allowedClientCidrs.filter((c) => !isValidCidr(c));
    if (badCidrs.length > 0) bad("allowedClientCidrs", `not IPv4 CIDRs: ${badCidrs.map((c) => JSON.stringify(c)).join(", ")}`);

    const certificate = parseCertificate(values, str, isSet, bad, [portal, gateway]);

    if ("dbInstanceClass" in values && !/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(str("dbInstanceClass"))) {
        bad("dbInstanceClass", `expected an RDS instance class like db.r6g.large, got "${str("dbInstanceClass")}"`);
    }
    const engineMajor = mysqlMajorVersion(str("dbEngineVersion"));
    if ("dbEngineVersion" in values && !engineMajor) {
        bad("dbEngineVersion", `expected a MySQL version WSO2 lists as tested for API-M ${SUPPORTED_APIM_VERSIONS.join(", ")}: ${orList(MYSQL_MAJOR_VERSIONS.map((v) => v.major))}, optionally with a minor (like 8.4.7); got "${str("dbEngineVersion")}"`);
    }
    const pastStandardSupport = MYSQL_MAJOR_VERSIONS.find((v) => v.major === engineMajor)?.standardSupportEnds;
    if (pastStandardSupport && !bool("dbExtendedSupport")) {
        bad("dbExtendedSupport", `MySQL ${engineMajor} left RDS standard support on ${pastStandardSupport}: RDS creates or restores it only in paid RDS Extended Support (billed per vCPU-hour). Set dbExtendedSupport true to accept that charge, or use dbEngineVersion ${MYSQL_MAJOR_VERSIONS[0].major}`);
    }
    const allocated = intIn("dbAllocatedStorageGb", 20, 65536);
    const maxAllocated = intIn("dbMaxAllocatedStorageGb", 20, 65536);
    if (maxAllocated < allocated) bad("dbMaxAllocatedStorageGb", `must be at least dbAllocatedStorageGb (${allocated}), got ${maxAllocated}`);
    const backupRetentionDays = intIn("dbBackupRetentionDays", 1, 35);
    const logRetentionDays = int("logRetentionDays");
    if ("logRetentionDays" in values && !LOG_RETENTION_DAYS.includes(logRetentionDays)) {
        bad("logRetentionDays", `CloudWatch accepts only ${LOG_RETENTION_DAYS.join(", ")}; got ${logRetentionDays}`);
    }

    const analytics = parseAnalytics(raw, bool, str, bad);
    const gateways = parseGateways(str, int, bool, bad, isSet, version);

    const dbSnapshotIdentifier = str("dbSnapshotIdentifier");
    // A snapshot name (automated ones are "rds:<instance>-<date>"), or a snapshot ARN (shared from another account).
    if (dbSnapshotIdentifier && !/^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:)?(rds:)?[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$/.test(dbSnapshotIdentifier)) {
        bad("dbSnapshotIdentifier", `expected an RDS snapshot identifier (letters, digits and single hyphens, "rds:" before automated ones) or a snapshot ARN, got "${dbSnapshotIdentifier}"`);
    }
    const alarmEmail = str("alarmEmail");
    if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) bad("alarmEmail", `expected an email address like ops@example.com, got "${alarmEmail}"`);
    if (alarmEmail && "alarmsEnabled" in values && !bool("alarmsEnabled")) bad("alarmEmail", "only used with alarmsEnabled true: with alarms off there is no topic to subscribe to");

    if (problems.length > 0) throw new StackConfigError(problems);

    return {
        apim: {
            version: version as ApimVersion,
            distributionUrl,
            distributionSha256: str("distributionSha256"),
            mysqlConnectorVersion: str("mysqlConnectorVersion"),
            mysqlConnectorSha256: str("mysqlConnectorSha256"),
            adminUsername: str("adminUsername"),
            jvmHeapSizeMb,
        },
        hostNames: { portal, gateway },
        nodes: { count: nodeCount, instanceType: str("instanceType"), rootVolumeSizeGb, amiId: amiId || undefined },
        network: network!,
        privateZoneName,
        allowedClientCidrs,
        certificate: certificate!,
        database: {
            instanceClass: str("dbInstanceClass"),
            engineVersion: str("dbEngineVersion"),
            extendedSupport: bool("dbExtendedSupport"),
            allowMajorVersionUpgrade: bool("dbAllowMajorVersionUpgrade"),
            allocatedStorageGb: allocated,
            maxAllocatedStorageGb: maxAllocated,
            multiAz: bool("dbMultiAz"),
            backupRetentionDays,
            snapshotIdentifier: dbSnapshotIdentifier || undefined,
        },
        deletionProtection: bool("deletionProtection"),
        loadBalancerAccessLogs: bool("loadBalancerAccessLogs"),
        loadBalancerDropInvalidHeaders: bool("loadBalancerDropInvalidHeaders"),
        logRetentionDays,
        analytics,
        gateways,
        alarms: { enabled: bool("alarmsEnabled"), email: alarmEmail || undefined },
        vpcEndpoints: bool("vpcEndpoints"),
    };
}

/** Keys still holding the sample stacks' all-zero checksum: fine to preview, refused by a deployment. */
export function placeholderChecksumKeys(config: StackConfig): string[] {
    return [
        ["distributionSha256", config.apim.distributionSha256],
        ["mysqlConnectorSha256", config.apim.mysqlConnectorSha256],
        ["gatewayDistributionSha256", config.gateways.enabled ? config.gateways.distributionSha256 : ""],
    ].filter(([, value]) => value === PLACEHOLDER_SHA256).map(([key]) => key);
}

/** Warnings that do not stop a preview but that a reviewer should see in `pulumi preview`. */
export function configWarnings(config: StackConfig): string[] {
    const warnings: string[] = placeholderChecksumKeys(config).map(
        (key) => `${key} is the sample stack's all-zero placeholder: \`pulumi up\` refuses it. Set it to \`sha256sum\` of the file you deploy.`,
    );
    if (config.deletionProtection && config.alarms.enabled && !config.alarms.email) {
        warnings.push(
            "alarmEmail is empty on a stack with deletionProtection (a production stack): its alarms reach nobody unless you subscribed a pager " +
                "to the alarmTopicArn output. Set alarmEmail, or subscribe an endpoint (docs/operating.md, Alarms and who hears them).",
        );
    }
    if (config.certificate.mode === "self-signed") {
        warnings.push("certificateMode is self-signed: browsers and API clients will not trust the load balancer. Use it for dev stacks only.");
    }
    return warnings;
}

/** Existing subnets, as looked up in AWS, must spread over at least two zones for each tier. */
export function checkExistingSubnetZones(config: StackConfig, zoneOfSubnet: Readonly<Record<string, string | undefined>>): void {
    const problems = existingSubnetProblems(config, zoneOfSubnet);
    if (problems.length > 0) throw new StackConfigError(problems);
}

/** The problems checkExistingSubnetZones raises, for reporting together with other looked-up facts. */
export function existingSubnetProblems(config: StackConfig, zoneOfSubnet: Readonly<Record<string, string | undefined>>): ConfigProblem[] {
    if (config.network.mode !== "existing") return [];
    const problems: ConfigProblem[] = [];
    for (const [key, ids] of [
        ["existingPublicSubnetIds", config.network.publicSubnetIds],
        ["existingPrivateSubnetIds", config.network.privateSubnetIds],
    ] as const) {
        const unknown = ids.filter((id) => !zoneOfSubnet[id]);
        if (unknown.length > 0) problems.push({ key, message: `subnets not found in ${config.network.vpcId}: ${unknown.join(", ")}` });
        const zones = new Set(ids.map((id) => zoneOfSubnet[id]).filter(Boolean));
        if (unknown.length === 0 && zones.size < 2) {
            problems.push({ key, message: `all subnets are in ${[...zones].join(", ")}; expected subnets in at least two availability zones` });
        }
    }
    return problems;
}

function coerce(value: unknown, type: DeclaredKey["type"]): unknown {
    switch (type) {
        case "string":
            return typeof value === "string" ? value.trim() : typeof value === "object" && value !== null ? value : undefined;
        case "integer": {
            const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
            return Number.isInteger(n) ? n : undefined;
        }
        case "boolean":
            if (typeof value === "boolean") return value;
            if (value === "true" || value === "false") return value === "true";
            return undefined;
        case "array": {
            let v = value;
            if (typeof v === "string") {
                try {
                    v = JSON.parse(v);
                } catch {
                    return undefined;
                }
            }
            return Array.isArray(v) && v.every((x) => typeof x === "string") ? v.map((x: string) => x.trim()) : undefined;
        }
    }
}

type Bad = (key: string, message: string) => void;

function parseNetwork(
    values: Record<string, unknown>,
    isSet: (k: string) => boolean,
    bad: Bad,
    intIn: (k: string, min: number, max: number) => number,
): NetworkConfig | undefined {
    const vpcId = (values.existingVpcId as string) ?? "";
    const publicSubnetIds = (values.existingPublicSubnetIds as string[]) ?? [];
    const privateSubnetIds = (values.existingPrivateSubnetIds as string[]) ?? [];
    if (vpcId) {
        // Refused rather than ignored: a stack file that sets them reads as if the stack built that VPC.
        const conflicting = ["vpcCidr", "availabilityZoneCount", "natGateways"].filter(isSet);
        if (conflicting.length > 0) {
            bad(
                "existingVpcId",
                `conflicts with ${conflicting.join(", ")}: those keys shape the VPC the stack would create, and with existingVpcId it creates ` +
                    "no VPC, subnets or NAT gateways. Remove them from the stack file (the existing private subnets need their own route to the internet)",
            );
        }
        if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) bad("existingVpcId", `expected a VPC id like vpc-0123456789abcdef0, got "${vpcId}"`);
        for (const [key, ids] of [["existingPublicSubnetIds", publicSubnetIds], ["existingPrivateSubnetIds", privateSubnetIds]] as const) {
            const malformed = ids.filter((id) => !/^subnet-[0-9a-f]{8,17}$/.test(id));
            if (ids.length < 2) bad(key, `expected at least two subnet ids (in two availability zones) with existingVpcId, got ${ids.length}`);
            if (malformed.length > 0) bad(key, `not subnet ids: ${malformed.join(", ")}`);
            if (new Set(ids).size !== ids.length) bad(key, "lists a subnet twice");
        }
        const both = publicSubnetIds.filter((id) => privateSubnetIds.includes(id));
        if (both.length > 0) bad("existingPrivateSubnetIds", `subnets cannot be both public and private: ${both.join(", ")}`);
        return { mode: "existing", vpcId, publicSubnetIds, privateSubnetIds };
    }
    for (const key of ["existingPublicSubnetIds", "existingPrivateSubnetIds"]) {
        if (isSet(key)) bad(key, "only allowed together with existingVpcId");
    }
    const vpcCidr = (values.vpcCidr as string) ?? "";
    if ("vpcCidr" in values) {
        if (!isValidCidr(vpcCidr)) bad("vpcCidr", `"${vpcCidr}" is not an IPv4 CIDR like 10.40.0.0/16`);
        else if (cidrPrefixLength(vpcCidr) < 16 || cidrPrefixLength(vpcCidr) > 22) bad("vpcCidr", `expected a prefix from /16 to /22 (AWS allows /16 at most; smaller than /22 leaves no room for subnets), got ${vpcCidr}`);
    }
    const availabilityZoneCount = intIn("availabilityZoneCount", 2, 4);
    const natGateways = values.natGateways as string;
    if ("natGateways" in values && natGateways !== "perAz" && natGateways !== "single") bad("natGateways", `expected "perAz" or "single", got "${natGateways}"`);
    return { mode: "new", vpcCidr, availabilityZoneCount, natGateways: natGateways as "perAz" | "single" };
}

function parseCertificate(
    values: Record<string, unknown>,
    str: (k: string) => string,
    isSet: (k: string) => boolean,
    bad: Bad,
    hostNames: string[],
): CertificateConfig | undefined {
    const mode = str("certificateMode");
    const arn = str("certificateArn");
    const zone = str("hostedZoneName") || undefined;
    if (zone) {
        if (!isDnsName(zone)) bad("hostedZoneName", `"${zone}" is not a valid DNS zone name`);
        const outside = hostNames.filter((h) => h && h !== zone && !h.endsWith(`.${zone}`));
        if (outside.length > 0) bad("hostedZoneName", `host names outside the zone ${zone}: ${outside.join(", ")}`);
    }
    if (mode !== "existing" && isSet("certificateArn")) bad("certificateArn", `only used with certificateMode "existing" (certificateMode is "${mode}")`);
    switch (mode) {
        case "existing":
            if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(arn)) {
                bad("certificateArn", `certificateMode "existing" needs an ACM certificate ARN, got "${arn}"`);
            }
            return { mode, arn, hostedZoneName: zone };
        case "dns-validated":
            if (!zone) bad("hostedZoneName", `certificateMode "dns-validated" needs the public Route53 zone that holds both host names`);
            return { mode, hostedZoneName: zone ?? "" };
        case "self-signed":
            return { mode, hostedZoneName: zone };
        default:
            if ("certificateMode" in values) bad("certificateMode", `expected one of ${CERTIFICATE_MODES.join(", ")}, got "${mode}"`);
            return undefined;
    }
}

/** Every gateway key is refused while gateways are off: a stack file that sets one reads as if it had gateways. */
const GATEWAY_KEYS = [
    "gatewayMinSize", "gatewayMaxSize", "gatewayInstanceType", "gatewayJvmHeapSizeMb", "gatewayTargetCpuPercent",
    "gatewayDistributionUrl", "gatewayDistributionSha256",
] as const;

function parseGateways(
    str: (k: string) => string,
    int: (k: string) => number,
    bool: (k: string) => boolean,
    bad: Bad,
    isSet: (k: string) => boolean,
    apimVersion: string,
): GatewaysConfig {
    if (!bool("gatewaysEnabled")) {
        for (const key of GATEWAY_KEYS.filter(isSet)) bad(key, "only used with gatewaysEnabled true");
        return { enabled: false };
    }
    const whole = (k: string, min: number, max: number, what: string) => {
        const v = int(k);
        if (!(Number.isInteger(v) && v >= min && v <= max)) bad(k, `expected ${what}, got ${v}`);
        return v;
    };
    const minSize = whole("gatewayMinSize", 1, 100, "a whole number of gateways from 1 to 100");
    const maxSize = whole("gatewayMaxSize", 1, 100, "a whole number of gateways from 1 to 100 (0 would leave the gateway host with nothing to serve it)");
    if (Number.isInteger(minSize) && Number.isInteger(maxSize) && maxSize < minSize) bad("gatewayMaxSize", `must be at least gatewayMinSize (${minSize}), got ${maxSize}`);
    const instanceType = str("gatewayInstanceType");
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) bad("gatewayInstanceType", `expected an EC2 instance type like c6i.large, got "${instanceType}"`);
    const jvmHeapSizeMb = whole("gatewayJvmHeapSizeMb", 1024, 65536, "a whole number from 1024 to 65536");
    const targetCpuPercent = whole("gatewayTargetCpuPercent", 20, 90, "a whole percentage from 20 to 90");
    const distributionUrl = str("gatewayDistributionUrl") || gaGatewayDistributionUrl(apimVersion);
    if (!/^https:\/\/[^\s"'$`\\]+$/.test(distributionUrl)) bad("gatewayDistributionUrl", `expected an https:// URL, got "${distributionUrl}"`);
    const distributionSha256 = str("gatewayDistributionSha256");
    if (!SHA256.test(distributionSha256)) {
        bad("gatewayDistributionSha256", `gatewaysEnabled needs the SHA-256 of the gateway pack at ${distributionUrl} (64 lower-case hex characters, sha256sum output), got "${distributionSha256}"`);
    }
    return { enabled: true, minSize, maxSize, instanceType, jvmHeapSizeMb, targetCpuPercent, distributionUrl, distributionSha256 };
}

function parseAnalytics(
    raw: Readonly<Record<string, unknown>>,
    bool: (k: string) => boolean,
    str: (k: string) => string,
    bad: Bad,
): AnalyticsConfig {
    if (!bool("analyticsEnabled")) return { enabled: false };
    const configEndpoint = str("analyticsConfigEndpoint");
    if (!/^https:\/\/[^\s"'$`\\]+$/.test(configEndpoint)) bad("analyticsConfigEndpoint", `analyticsEnabled needs an https:// config endpoint, got "${configEndpoint}"`);
    const token = raw.analyticsAuthToken;
    const present = typeof token === "object" ? token !== null : typeof token === "string" && token.length > 0;
    if (!present) bad("analyticsAuthToken", "analyticsEnabled needs the auth token: pulumi config set --secret analyticsAuthToken <token>");
    return { enabled: true, configEndpoint, authToken: token as Input<string> };
}

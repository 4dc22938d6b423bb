import { MAX_NODES, parseStackConfig, StackConfig } from "../../lib/config/stackConfig";
import { GatewayCloudFacts, NodeCloudFacts } from "../../lib/node/nodeEnvironment";
import { bootScriptArtifact } from "../../lib/node/bootScript";

/** A valid stack configuration for tests, with any key overridden. */
export function sampleConfig(overrides: Record<string, unknown> = {}): StackConfig {
    return parseStackConfig({
        portalHostName: "api.example.com",
        gatewayHostName: "gw.example.com",
        distributionSha256: "a".repeat(64),
        mysqlConnectorSha256: "b".repeat(64),
        certificateMode: "self-signed",
        ...overrides,
    });
}

export const sampleFacts: NodeCloudFacts = {
    fileSystemId: "fs-0123456789abcdef0",
    accessPointId: "fsap-0123456789abcdef0",
    secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wso2-apim-ha-dev-AbCdEf",
    region: "eu-west-1",
    logGroupName: "/wso2-apim-ha/dev/nodes",
    // the real boot script's key and checksum, so a sandbox boot of the rendered node can fetch it
    bootScript: (({ key, sha256 }) => ({ bucket: "wso2-boot-bucket-5f0c1e2a", key, sha256 }))(bootScriptArtifact("/usr/local/sbin/wso2am-bootstrap")),
};

/** The gateways' cloud facts: the nodes' secret, region and boot script, the gateways' own log group, no file system. */
export const sampleGatewayFacts: GatewayCloudFacts = {
    secretArn: sampleFacts.secretArn,
    region: sampleFacts.region,
    logGroupName: "/wso2-apim-ha/dev/gateways",
    bootScript: sampleFacts.bootScript,
};

/** Host names of exactly `length` characters, the longest a user-data size test has to carry. */
export function hostOfLength(prefix: string, length: number): string {
    const suffix = ".example.com";
    return prefix + "x".repeat(length - prefix.length - suffix.length) + suffix;
}

/** The keys that make a machine's files largest: every node, 60-character host names, a long zone, analytics on. */
export function largestConfigOverrides(): Record<string, unknown> {
    return {
        nodeCount: MAX_NODES,
        portalHostName: hostOfLength("api-", 60),
        gatewayHostName: hostOfLength("gw-", 60),
        privateZoneName: "wso2-api-manager.production.internal",
        analyticsEnabled: true,
        analyticsConfigEndpoint: "https://analytics-event-auth.choreo.dev/auth/v1",
        analyticsAuthToken: "offline-secret-config-analyticsAuthToken",
    };
}

import { parseStackConfig, StackConfig } from "../../lib/config/stackConfig";
import { NodeCloudFacts } from "../../lib/node/nodeEnvironment";

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
};

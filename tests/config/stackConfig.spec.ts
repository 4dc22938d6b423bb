import { parseStackConfig, readDeclaredKeys, StackConfigError, checkExistingSubnetZones, configWarnings, placeholderChecksumKeys, StackConfig } from "../../lib/config/stackConfig";
import { readStackFile } from "../../lib/config/stackFile";

const valid = {
    portalHostName: "api.example.com",
    gatewayHostName: "gw.example.com",
    distributionSha256: "a".repeat(64),
    mysqlConnectorSha256: "b".repeat(64),
    certificateMode: "self-signed",
};

function problemsOf(overrides: Record<string, unknown>, base: Record<string, unknown> = valid): { key: string; message: string }[] {
    try {
        parseStackConfig({ ...base, ...overrides });
    } catch (err) {
        expect(err).toBeInstanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
    throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe("stack configuration", () => {
    it("applies every Pulumi.yaml default, written once there", () => {
        const declared = readDeclaredKeys();
        const config = parseStackConfig(valid);
        expect(config.apim.version).toBe(declared.apimVersion.default);
        expect(config.apim.version).toBe("4.7.0");
        expect(config.nodes.count).toBe(2);
        expect(config.nodes.instanceType).toBe(declared.instanceType.default);
        expect(config.database.multiAz).toBe(declared.dbMultiAz.default);
        expect(config.database.backupRetentionDays).toBe(declared.dbBackupRetentionDays.default);
        expect(config.allowedClientCidrs).toEqual(declared.allowedClientCidrs.default);
        expect(config.network).toEqual({ mode: "new", vpcCidr: declared.vpcCidr.default, availabilityZoneCount: 2, natGateways: "perAz" });
        expect(config.apim.distributionUrl).toBe("https://github.com/wso2/product-apim/releases/download/v4.7.0/wso2am-4.7.0.zip");
        expect(config.analytics).toEqual({ enabled: false });
        expect(config.vpcEndpoints).toBe(declared.vpcEndpoints.default);
        // a supported engine, not billed for Extended Support, and API clients' headers kept
        expect(config.database).toMatchObject({ engineVersion: "8.4", extendedSupport: false, allowMajorVersionUpgrade: false });
        expect(config.loadBalancerDropInvalidHeaders).toBe(false);
    });

    it("turns gateways on with WSO2's gateway pack for the API-M version and the sizes' defaults", () => {
        const declared = readDeclaredKeys();
        expect(parseStackConfig(valid).gateways).toEqual({ enabled: false });
        expect(parseStackConfig({ ...valid, apimVersion: "4.6.0", gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) }).gateways).toEqual({
            enabled: true,
            minSize: declared.gatewayMinSize.default,
            maxSize: declared.gatewayMaxSize.default,
            instanceType: "c6i.large",
            jvmHeapSizeMb: 2048,
            targetCpuPercent: declared.gatewayTargetCpuPercent.default,
            distributionUrl: "https://github.com/wso2/product-apim/releases/download/v4.6.0/wso2am-universal-gw-4.6.0.zip",
            distributionSha256: "c".repeat(64),
        });
    });

    it("takes MySQL 8.0 only with Extended Support opted into", () => {
        expect(parseStackConfig({ ...valid, dbEngineVersion: "8.0", dbExtendedSupport: true }).database).toMatchObject({ engineVersion: "8.0", extendedSupport: true });
        expect(parseStackConfig({ ...valid, dbEngineVersion: "8.4.7" }).database.engineVersion).toBe("8.4.7");
    });

    it("declares every key with a type and a description", () => {
        for (const [key, decl] of Object.entries(readDeclaredKeys())) {
            expect([key, ["string", "integer", "boolean", "array"].includes(decl.type)]).toEqual([key, true]);
            expect(decl.description.length).toBeGreaterThan(10);
        }
    });

    it("accepts values as the Pulumi CLI passes them (strings and JSON lists)", () => {
        const config = parseStackConfig({ ...valid, nodeCount: "2", dbMultiAz: "false", allowedClientCidrs: '["10.0.0.0/8","192.168.0.0/16"]' });
        expect(config.nodes.count).toBe(2);
        expect(config.database.multiAz).toBe(false);
        expect(config.allowedClientCidrs).toEqual(["10.0.0.0/8", "192.168.0.0/16"]);
    });

    it.each(["dev", "prod"])("parses the shipped %s stack", (stack) => {
        expect(() => parseStackConfig(readStackFile(stack).projectConfig)).not.toThrow();
    });

    it("ships a production stack that is production-grade and a dev stack that is cheap", () => {
        const prod = parseStackConfig(readStackFile("prod").projectConfig);
        const dev = parseStackConfig(readStackFile("dev").projectConfig);
        expect(prod.nodes.instanceType).toBe("m6i.xlarge"); // 4 vCPU, 16 GiB
        expect(prod.database.multiAz).toBe(true);
        expect(prod.database.backupRetentionDays).toBeGreaterThanOrEqual(7);
        expect(prod.deletionProtection).toBe(true);
        expect(prod.loadBalancerAccessLogs).toBe(true);
        expect(prod.network).toMatchObject({ natGateways: "perAz" });
        expect(prod.certificate.mode).not.toBe("self-signed");
        expect(prod.vpcEndpoints).toBe(true);
        expect(dev.vpcEndpoints).toBe(false);
        expect(dev.database.multiAz).toBe(false);
        expect(dev.deletionProtection).toBe(false);
        expect(dev.database.instanceClass).toMatch(/^db\.t[34]g?\./);
        expect(dev.network).toMatchObject({ natGateways: "single" });
    });

    // Each bad input, and the key its message must name.
    const badInputs: [string, Record<string, unknown>, string, RegExp][] = [
        ["a host name with an empty label", { portalHostName: "api..example.com" }, "portalHostName", /not a fully qualified/],
        ["an upper-case host name", { gatewayHostName: "GW.example.com" }, "gatewayHostName", /lower-case/],
        ["the same host for portal and gateway", { gatewayHostName: "api.example.com" }, "gatewayHostName", /must differ/],
        ["one node", { nodeCount: 1 }, "nodeCount", /expected 2, got 1/],
        ["three nodes: events would reach only one peer", { nodeCount: 3 }, "nodeCount", /expected 2, got 3: .*reach only one peer/],
        ["a VPC endpoints switch that is not a boolean", { vpcEndpoints: "yes" }, "vpcEndpoints", /expected a boolean/],
        ["a fractional node count", { nodeCount: "2.5" }, "nodeCount", /integer/],
        ["an unknown version", { apimVersion: "4.2.0" }, "apimVersion", /4\.5\.0, 4\.6\.0, 4\.7\.0/],
        ["a malformed SHA-256", { distributionSha256: "abc123" }, "distributionSha256", /64 lower-case hex/],
        ["a plain-http distribution URL", { distributionUrl: "http://example.com/wso2am.zip" }, "distributionUrl", /https/],
        ["an unparsable VPC CIDR", { vpcCidr: "10.0.0.0/33" }, "vpcCidr", /not an IPv4 CIDR/],
        ["an unparsable client CIDR", { allowedClientCidrs: ["0.0.0.0/0", "10.1.2.3/8"] }, "allowedClientCidrs", /10\.1\.2\.3\/8/],
        ["both network modes at once", { existingVpcId: "vpc-0123456789abcdef0", existingPublicSubnetIds: ["subnet-0000000a", "subnet-0000000b"], existingPrivateSubnetIds: ["subnet-0000000c", "subnet-0000000d"], vpcCidr: "10.1.0.0/16" }, "existingVpcId", /conflicts with vpcCidr/],
        ["an existing VPC with one private subnet", { existingVpcId: "vpc-0123456789abcdef0", existingPublicSubnetIds: ["subnet-0000000a", "subnet-0000000b"], existingPrivateSubnetIds: ["subnet-0000000c"] }, "existingPrivateSubnetIds", /at least two/],
        ["subnets without an existing VPC", { existingPrivateSubnetIds: ["subnet-0000000c", "subnet-0000000d"] }, "existingPrivateSubnetIds", /only allowed together with existingVpcId/],
        ["analytics on without a token", { analyticsEnabled: true, analyticsConfigEndpoint: "https://analytics.example.com/auth/v1" }, "analyticsAuthToken", /--secret/],
        ["analytics on without an endpoint", { analyticsEnabled: true, analyticsAuthToken: "t" }, "analyticsConfigEndpoint", /https/],
        ["an existing certificate without an ARN", { certificateMode: "existing" }, "certificateArn", /ACM certificate ARN/],
        ["DNS validation without a zone", { certificateMode: "dns-validated" }, "hostedZoneName", /public Route53 zone/],
        ["host names outside the hosted zone", { certificateMode: "dns-validated", hostedZoneName: "other.org" }, "hostedZoneName", /outside the zone/],
        ["an unknown certificate mode", { certificateMode: "letsencrypt" }, "certificateMode", /existing, dns-validated, self-signed/],
        ["storage ceiling below storage", { dbAllocatedStorageGb: 100, dbMaxAllocatedStorageGb: 50 }, "dbMaxAllocatedStorageGb", /at least dbAllocatedStorageGb/],
        ["backup retention over 35 days", { dbBackupRetentionDays: 90 }, "dbBackupRetentionDays", /1 to 35/],
        ["a log retention CloudWatch refuses", { logRetentionDays: 10 }, "logRetentionDays", /CloudWatch accepts only/],
        ["a heap too small for API-M", { jvmHeapSizeMb: 256 }, "jvmHeapSizeMb", /1024 to 65536/],
        ["an admin name that breaks the AMQP URL", { adminUsername: "admin@corp" }, "adminUsername", /letters, digits/],
        ["a malformed AMI id", { amiId: "al2023" }, "amiId", /ami-/],
        ["a boolean that is not one", { dbMultiAz: "yes" }, "dbMultiAz", /boolean/],
        ["a misspelt key", { nodecount: 3 }, "nodecount", /^unknown key; did you mean nodeCount\?$/],
        ["a missing required key", { portalHostName: undefined }, "portalHostName", /required/],
        ["a MySQL version WSO2 does not list", { dbEngineVersion: "9.1" }, "dbEngineVersion", /WSO2 lists as tested for API-M 4\.5\.0, 4\.6\.0, 4\.7\.0: 8\.4 or 8\.0.*got "9\.1"/],
        ["MySQL 5.7", { dbEngineVersion: "5.7.44" }, "dbEngineVersion", /8\.4 or 8\.0/],
        ["a gateway key while gateways are off", { gatewayMaxSize: 6 }, "gatewayMaxSize", /^only used with gatewaysEnabled true$/],
        ["gateways without their pack's checksum", { gatewaysEnabled: true }, "gatewayDistributionSha256", /gatewaysEnabled needs the SHA-256 of the gateway pack at https:\/\/github\.com\/wso2\/product-apim\/releases\/download\/v4\.7\.0\/wso2am-universal-gw-4\.7\.0\.zip/],
        ["fewer gateways allowed than kept", { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayMinSize: 4, gatewayMaxSize: 2 }, "gatewayMaxSize", /must be at least gatewayMinSize \(4\), got 2/],
        ["no gateway at all", { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayMinSize: 0, gatewayMaxSize: 0 }, "gatewayMaxSize", /0 would leave the gateway host with nothing to serve it/],
        ["a gateway heap too small for API-M", { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayJvmHeapSizeMb: 512 }, "gatewayJvmHeapSizeMb", /1024 to 65536/],
        ["a CPU target scaling cannot keep", { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayTargetCpuPercent: 100 }, "gatewayTargetCpuPercent", /20 to 90/],
        ["a gateway pack over plain HTTP", { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayDistributionUrl: "http://example.com/gw.zip" }, "gatewayDistributionUrl", /https:\/\//],
        ["MySQL 8.0 without Extended Support", { dbEngineVersion: "8.0.39" }, "dbExtendedSupport", /left RDS standard support on 2026-07-31.*Set dbExtendedSupport true.*or use dbEngineVersion 8\.4/],
    ];

    it.each(badInputs)("rejects %s, naming the key", (_label, overrides, key, message) => {
        const problems = problemsOf(overrides);
        const problem = problems.find((p) => p.key === key);
        expect(problem).toBeDefined();
        expect(problem!.message).toMatch(message);
    });

    it("reports every bad key in one message, without a stack trace in it", () => {
        let message = "";
        try {
            parseStackConfig({ ...valid, nodeCount: 1, apimVersion: "3.2.0", vpcCidr: "nonsense" });
        } catch (err) {
            message = (err as Error).message;
        }
        expect(message).toMatch(/^Invalid stack configuration \(3 problems\):/);
        for (const key of ["nodeCount", "apimVersion", "vpcCidr"]) expect(message).toContain(`  - ${key}: `);
        expect(message).not.toMatch(/\bat .*\.ts:\d+/);
    });

    it("accepts a secret Output-like analytics token and keeps it opaque", () => {
        const token = { secretOutput: true };
        const config = parseStackConfig({ ...valid, analyticsEnabled: true, analyticsConfigEndpoint: "https://a.example.com/auth/v1", analyticsAuthToken: token });
        expect(config.analytics).toEqual({ enabled: true, configEndpoint: "https://a.example.com/auth/v1", authToken: token });
    });

    describe("existing VPC subnets", () => {
        const existing: StackConfig = parseStackConfig({
            ...valid,
            existingVpcId: "vpc-0123456789abcdef0",
            existingPublicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            existingPrivateSubnetIds: ["subnet-0000000c", "subnet-0000000d"],
        });

        it("rejects private subnets all in one availability zone", () => {
            expect(() =>
                checkExistingSubnetZones(existing, {
                    "subnet-0000000a": "eu-west-1a",
                    "subnet-0000000b": "eu-west-1b",
                    "subnet-0000000c": "eu-west-1a",
                    "subnet-0000000d": "eu-west-1a",
                }),
            ).toThrow(/existingPrivateSubnetIds: all subnets are in eu-west-1a/);
        });

        it("rejects subnets that were not found", () => {
            expect(() => checkExistingSubnetZones(existing, { "subnet-0000000a": "eu-west-1a", "subnet-0000000b": "eu-west-1b" })).toThrow(
                /existingPrivateSubnetIds: subnets not found/,
            );
        });

        it("accepts subnets spread over two zones", () => {
            expect(() =>
                checkExistingSubnetZones(existing, {
                    "subnet-0000000a": "eu-west-1a",
                    "subnet-0000000b": "eu-west-1b",
                    "subnet-0000000c": "eu-west-1a",
                    "subnet-0000000d": "eu-west-1b",
                }),
            ).not.toThrow();
        });
    });

    describe("a key that is not the project's", () => {
        const messageFor = (key: string) => problemsOf({ [key]: "x" }).find((p) => p.key === key)!.message;

        it.each([
            ["nodecount", "nodeCount"],
            ["instancetype", "instanceType"],
            ["jvmHeapSize", "jvmHeapSizeMb"],
            ["dbMultiAZ", "dbMultiAz"],
            ["vpcId", "existingVpcId"],
            ["certficateMode", "certificateMode"],
        ])("suggests the declared key for %s", (key, meant) => {
            expect(messageFor(key)).toBe(`unknown key; did you mean ${meant}?`);
        });

        it("suggests every near key when several are near", () => {
            expect(messageFor("sha256")).toBe("unknown key; did you mean distributionSha256, mysqlConnectorSha256 or gatewayDistributionSha256?");
        });

        it("points an AWS provider key set without its namespace at the provider's", () => {
            expect(messageFor("region")).toMatch(/did you mean the AWS provider's aws:region/);
        });

        it("points at the list of keys instead of printing all of them when nothing is near", () => {
            const message = messageFor("frobnicate");
            expect(message).toBe("unknown key: Pulumi.yaml declares no such key (docs/configuration.md lists every key)");
        });
    });

    it("explains why an existing VPC refuses the new-VPC keys a copied stack file carries", () => {
        // Pulumi.dev.yaml plus an existing VPC: its natGateways line is what stops it.
        const devWithExistingVpc: Record<string, unknown> = {
            ...readStackFile("dev").projectConfig,
            existingVpcId: "vpc-0123456789abcdef0",
            existingPublicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            existingPrivateSubnetIds: ["subnet-0000000c", "subnet-0000000d"],
        };
        const problems = problemsOf({}, devWithExistingVpc);
        expect(problems).toHaveLength(1);
        expect(problems[0].key).toBe("existingVpcId");
        expect(problems[0].message).toMatch(/^conflicts with natGateways: .*creates no VPC, subnets or NAT gateways\. Remove them from the stack file/);
        const { natGateways: _removed, ...fixed } = devWithExistingVpc;
        expect(parseStackConfig(fixed).network.mode).toBe("existing");
    });

    it("warns about the sample stacks' placeholder checksums and self-signed certificates", () => {
        const dev = parseStackConfig(readStackFile("dev").projectConfig);
        const warnings = configWarnings(dev).join("\n");
        expect(warnings).toMatch(/distributionSha256/);
        expect(warnings).toMatch(/mysqlConnectorSha256/);
        expect(warnings).toMatch(/self-signed/);
        expect(configWarnings(parseStackConfig(valid)).filter((w) => /Sha256/.test(w))).toEqual([]);
    });

    it("counts the gateway pack's all-zero placeholder like the other checksums: preview warns, up refuses", () => {
        const zeros = "0".repeat(64);
        const config = parseStackConfig({ ...valid, gatewaysEnabled: true, gatewayDistributionSha256: zeros });
        expect(placeholderChecksumKeys(config)).toEqual(["gatewayDistributionSha256"]);
        expect(configWarnings(config).join("\n")).toContain("gatewayDistributionSha256 is the sample stack's all-zero placeholder");
    });

    it("warns when a production stack's alarms reach nobody", () => {
        const nobody = (overrides: Record<string, unknown>) =>
            configWarnings(parseStackConfig({ ...valid, ...overrides })).filter((w) => w.includes("alarms reach nobody"));
        expect(nobody({ deletionProtection: true })).toEqual([expect.stringMatching(/^alarmEmail is empty on a stack with deletionProtection.*alarmTopicArn/)]);
        expect(nobody({ deletionProtection: true, alarmEmail: "ops@example.com" })).toEqual([]);
        expect(nobody({ deletionProtection: false })).toEqual([]);
        expect(nobody({ deletionProtection: true, alarmsEnabled: false })).toEqual([]);
        expect(configWarnings(parseStackConfig(readStackFile("prod").projectConfig)).join("\n")).toContain("alarms reach nobody");
    });
});

describe("stack files", () => {
    it.each(["dev", "prod"])("tag every resource of the %s stack through the provider's default tags", (stack) => {
        const file = readStackFile(stack);
        expect(JSON.parse(file.allConfig["aws:defaultTags"])).toEqual({ tags: { Project: "wso2-apim-ha", Environment: stack, ManagedBy: "pulumi" } });
        expect(file.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    });
});

import { parseStackConfig, StackConfig } from "../../lib/config/stackConfig";
import { HEAP_HEADROOM_MIB, InstanceTypeLookup, gatewaySizing, instanceTypeProblems, isUnknownInstanceTypeError, machineProblems } from "../../lib/config/instanceTypeCheck";

/** The instance type checked against what EC2 says about it (looked up during preview and up). */

const base = {
    portalHostName: "api.example.com",
    gatewayHostName: "gw.example.com",
    distributionSha256: "a".repeat(64),
    mysqlConnectorSha256: "b".repeat(64),
    certificateMode: "self-signed",
};
const configWith = (overrides: Record<string, unknown>): StackConfig => parseStackConfig({ ...base, ...overrides });
const found = (memoryMib: number, architectures = ["x86_64"], defaultVcpus = 2): InstanceTypeLookup => ({ status: "found", facts: { memoryMib, defaultVcpus, architectures } });

describe("the JVM heap against the instance type's memory", () => {
    it("accepts a heap that leaves the headroom free, up to the last MiB", () => {
        expect(instanceTypeProblems(configWith({ instanceType: "t3.large", jvmHeapSizeMb: 2048 }), found(8192), "x86_64")).toEqual([]);
        expect(instanceTypeProblems(configWith({ instanceType: "t3.large", jvmHeapSizeMb: 8192 - HEAP_HEADROOM_MIB }), found(8192), "x86_64")).toEqual([]);
    });

    it("refuses a heap that does not leave it, naming the largest heap that fits", () => {
        const problems = instanceTypeProblems(configWith({ instanceType: "t3.large", jvmHeapSizeMb: 8192 }), found(8192), "x86_64");
        expect(problems).toEqual([
            {
                key: "jvmHeapSizeMb",
                message: expect.stringMatching(/^8192 MiB does not fit t3\.large \(2 vCPU, 8192 MiB of memory\): at most 6144 MiB, leaving 2048 MiB for the JVM's memory outside the heap/),
            },
        ]);
    });

    it("refuses an instance type too small for even the smallest heap, blaming the type, not the heap", () => {
        const problems = instanceTypeProblems(configWith({ instanceType: "t3.small", jvmHeapSizeMb: 1024 }), found(2048), "x86_64");
        expect(problems.map((p) => p.key)).toEqual(["instanceType"]);
        expect(problems[0].message).toMatch(/t3\.small \(2 vCPU, 2048 MiB of memory\) is too small: a node needs at least 3072 MiB/);
    });
});

describe("the instance type itself", () => {
    it("refuses a type EC2 does not have", () => {
        expect(instanceTypeProblems(configWith({ instanceType: "m6i.huge" }), { status: "unknown" }, "x86_64")).toEqual([
            { key: "instanceType", message: expect.stringMatching(/^unknown instance type "m6i\.huge"/) },
        ]);
    });

    it("says so when EC2 could not be asked, instead of calling the type unknown", () => {
        const problems = instanceTypeProblems(configWith({}), { status: "failed", reason: "operation error EC2: DescribeInstanceTypes, AccessDenied\nmore" }, "x86_64");
        expect(problems).toEqual([{ key: "instanceType", message: 'could not look instance type "m6i.xlarge" up in EC2: operation error EC2: DescribeInstanceTypes, AccessDenied' }]);
    });

    it("refuses a type that runs neither image architecture", () => {
        const problems = instanceTypeProblems(configWith({ instanceType: "mac2.metal" }), found(16384, ["arm64_mac"], 8), "x86_64");
        expect(problems).toEqual([{ key: "instanceType", message: "mac2.metal runs arm64_mac; the nodes run Amazon Linux 2023, built for x86_64 and arm64" }]);
    });

    it("refuses a type whose architecture differs from the one the image is looked up for", () => {
        const problems = instanceTypeProblems(configWith({ instanceType: "m9x.xlarge" }), found(16384, ["arm64"], 4), "x86_64");
        expect(problems[0]).toEqual({ key: "instanceType", message: "m9x.xlarge runs arm64, but the nodes' image would be looked up for x86_64" });
    });

    it("recognises EC2's answer for a type it does not have, and only that", () => {
        expect(isUnknownInstanceTypeError("api error InvalidInstanceType: The following supplied instance types do not exist: [m6i.huge]")).toBe(true);
        expect(isUnknownInstanceTypeError("api error UnauthorizedOperation: You are not authorized to perform this operation.")).toBe(false);
    });
});

describe("the gateways' instance type and heap, checked the same way under their own keys", () => {
    const gateways = (overrides: Record<string, unknown>) =>
        configWith({ gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), ...overrides });

    it("has nothing to check while gateways are off", () => {
        expect(gatewaySizing(configWith({}))).toBeUndefined();
    });

    it("accepts the default c6i.large with a 2048 MiB heap, and names the gateway keys when the heap does not fit", () => {
        expect(machineProblems(gatewaySizing(gateways({}))!, found(4096), "x86_64")).toEqual([]);
        expect(machineProblems(gatewaySizing(gateways({ gatewayJvmHeapSizeMb: 4096 }))!, found(4096), "x86_64")).toEqual([
            {
                key: "gatewayJvmHeapSizeMb",
                message: expect.stringMatching(/^4096 MiB does not fit c6i\.large \(2 vCPU, 4096 MiB of memory\): at most 2048 MiB.*Lower gatewayJvmHeapSizeMb or choose a larger gatewayInstanceType$/),
            },
        ]);
    });

    it("refuses a gateway instance type EC2 lacks, naming gatewayInstanceType", () => {
        expect(machineProblems(gatewaySizing(gateways({ gatewayInstanceType: "c6i.huge" }))!, { status: "unknown" }, "x86_64")).toEqual([
            { key: "gatewayInstanceType", message: expect.stringMatching(/^unknown instance type "c6i\.huge"/) },
        ]);
    });
});

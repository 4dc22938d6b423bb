import * as pulumi from "@pulumi/pulumi";
import * as aws from "./lib/aws/services";
import { StackConfig, StackConfigError, configWarnings, existingSubnetProblems, placeholderChecksumKeys } from "./lib/config/stackConfig";
import { InstanceTypeLookup, instanceTypeProblems, isUnknownInstanceTypeError } from "./lib/config/instanceTypeCheck";
import { amiArchitectureFor } from "./lib/node/nodeAmi";
import { APIM_VERSION_OUTPUT, apimVersionChangeWarning } from "./lib/config/apimVersionChange";
import { ApiManagerCluster } from "./components/apiManagerCluster";

/** Name of the top-level component; every resource name starts with it. */
export const CLUSTER_NAME = "wso2";

/**
 * The program, given a validated configuration: warnings, the checks that need AWS's answers (existing
 * subnets, the instance type; before anything is built), the cluster, and its stack outputs. index.ts,
 * the offline render and the tests all call this.
 */
export async function buildStack(config: StackConfig): Promise<Record<string, pulumi.Output<unknown>>> {
    for (const warning of configWarnings(config)) pulumi.log.warn(warning);
    // Previews and the offline render show the sample stacks as they are; a deployment with placeholder
    // checksums would build everything and then wait an hour for nodes that refuse their downloads.
    const placeholders = placeholderChecksumKeys(config);
    if (placeholders.length > 0 && !pulumi.runtime.isDryRun()) {
        throw new pulumi.RunError(
            `Refusing to deploy: ${placeholders.join(" and ")} still ${placeholders.length > 1 ? "hold" : "holds"} the sample stack's all-zero placeholder. ` +
                "Set each to the sha256sum of the file the nodes download (see README, Deploying).",
        );
    }

    // Looked up together and reported together, in one message with every bad key.
    const [zoneOfSubnet, instanceType] = await Promise.all([existingSubnetZones(config), lookUpInstanceType(config.nodes.instanceType)]);
    const problems = [
        ...existingSubnetProblems(config, zoneOfSubnet),
        ...instanceTypeProblems(config, instanceType, amiArchitectureFor(config.nodes.instanceType)),
    ];
    if (problems.length > 0) throw new StackConfigError(problems);

    warnOnApimVersionChange(config.apim.version);
    const cluster = new ApiManagerCluster(CLUSTER_NAME, { config });
    return { ...cluster.outputs, [APIM_VERSION_OUTPUT]: pulumi.output(config.apim.version) };
}

/**
 * Reads this stack's own outputs from its last deployment (a reference to itself) and warns when they
 * name another API-M version than the configuration. A first deployment has no such output: no warning.
 */
function warnOnApimVersionChange(configured: string): void {
    let self: pulumi.StackReference;
    try {
        self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    } catch {
        // an engine too old to name the organization: nothing to compare against
        return;
    }
    self.outputs.apply((previous) => {
        const warning = apimVersionChangeWarning(previous, configured);
        if (warning) pulumi.log.warn(warning);
    });
}

/** The zone of each existing subnet, undefined for one not found in the stack's VPC. */
async function existingSubnetZones(config: StackConfig): Promise<Record<string, string | undefined>> {
    const network = config.network;
    if (network.mode !== "existing") return {};
    const ids = [...network.publicSubnetIds, ...network.privateSubnetIds];
    const zones = await Promise.all(
        ids.map((id) =>
            aws.ec2
                // Filtering on the VPC makes a subnet of another VPC count as not found.
                .getSubnet({ id, vpcId: network.vpcId })
                .then((subnet) => [id, subnet.availabilityZone] as const)
                // A missing subnet is reported with the other problems, not as a provider stack trace.
                .catch(() => [id, undefined] as const),
        ),
    );
    return Object.fromEntries(zones);
}

/** EC2's facts about the instance type; a type EC2 does not have fails the invoke, reported as a config problem. */
async function lookUpInstanceType(instanceType: string): Promise<InstanceTypeLookup> {
    try {
        const found = await aws.ec2.getInstanceType({ instanceType });
        return {
            status: "found",
            facts: { memoryMib: found.memorySize, defaultVcpus: found.defaultVcpus, architectures: found.supportedArchitectures },
        };
    } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        return isUnknownInstanceTypeError(reason) ? { status: "unknown" } : { status: "failed", reason };
    }
}

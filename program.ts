import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { StackConfig, checkExistingSubnetZones, configWarnings, placeholderChecksumKeys } from "./lib/config/stackConfig";
import { APIM_VERSION_OUTPUT, apimVersionChangeWarning } from "./lib/config/apimVersionChange";
import { ApiManagerCluster } from "./components/apiManagerCluster";

/** Name of the top-level component; every resource name starts with it. */
export const CLUSTER_NAME = "wso2";

/**
 * The program, given a validated configuration: warnings, the existing-VPC subnet check (before anything
 * is built), the cluster, and its stack outputs. index.ts, the offline render and the tests all call this.
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

    const network = config.network;
    if (network.mode === "existing") {
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
        checkExistingSubnetZones(config, Object.fromEntries(zones));
    }

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

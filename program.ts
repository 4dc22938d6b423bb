import * as pulumi from "@pulumi/pulumi";
import * as aws from "./lib/aws/services";
import { StackConfig, StackConfigError, configWarnings, existingSubnetProblems, placeholderChecksumKeys } from "./lib/config/stackConfig";
import { InstanceTypeLookup, gatewaySizing, instanceTypeProblems, isUnknownInstanceTypeError, machineProblems } from "./lib/config/instanceTypeCheck";
import { amiArchitectureFor } from "./lib/node/nodeAmi";
import { APIM_VERSION_OUTPUT, apimVersionChangeWarning } from "./lib/config/apimVersionChange";
import { DATABASE_ENGINE_OUTPUT, databaseEngineChange } from "./lib/config/databaseEngineChange";
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
    const gateways = gatewaySizing(config);
    const [zoneOfSubnet, instanceType, gatewayInstanceType] = await Promise.all([
        existingSubnetZones(config),
        lookUpInstanceType(config.nodes.instanceType),
        gateways ? lookUpInstanceType(gateways.instanceType) : undefined,
    ]);
    // The gateways run the nodes' image, so their type must run its architecture too.
    const imageArchitecture = amiArchitectureFor(config.nodes.instanceType);
    const problems = [
        ...existingSubnetProblems(config, zoneOfSubnet),
        ...instanceTypeProblems(config, instanceType, imageArchitecture),
        ...(gateways && gatewayInstanceType ? machineProblems(gateways, gatewayInstanceType, imageArchitecture) : []),
    ];
    if (problems.length > 0) throw new StackConfigError(problems);

    const previous = await previousOutputs();
    const apimWarning = apimVersionChangeWarning(previous, config.apim.version);
    if (apimWarning) pulumi.log.warn(apimWarning);
    const engine = databaseEngineChange(previous, config.database);
    if (engine.warning) pulumi.log.warn(engine.warning);
    if (engine.refusal && !pulumi.runtime.isDryRun()) throw new pulumi.RunError(`Refusing to deploy: ${engine.refusal}`);

    const cluster = new ApiManagerCluster(CLUSTER_NAME, { config });
    return {
        ...cluster.outputs,
        [APIM_VERSION_OUTPUT]: pulumi.output(config.apim.version),
        [DATABASE_ENGINE_OUTPUT]: pulumi.output(config.database.engineVersion),
    };
}

/**
 * This stack's own outputs from its last deployment (through a reference to itself), which name the API-M
 * and MySQL versions it ran. Undefined for a first deployment's empty outputs too, or an engine too old to
 * name the organization.
 */
async function previousOutputs(): Promise<Record<string, unknown> | undefined> {
    let self: pulumi.StackReference;
    try {
        self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    } catch {
        return undefined;
    }
    const read = async (name: string) => (await self.getOutputDetails(name)).value;
    const [apimVersion, engineVersion] = await Promise.all([read(APIM_VERSION_OUTPUT), read(DATABASE_ENGINE_OUTPUT)]);
    return { [APIM_VERSION_OUTPUT]: apimVersion, [DATABASE_ENGINE_OUTPUT]: engineVersion };
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

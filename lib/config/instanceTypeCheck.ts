import type { ConfigProblem, StackConfig } from "./stackConfig";

/**
 * Memory a node needs besides the JVM heap: the JVM's own memory outside the heap (metaspace, code cache,
 * thread stacks, the embedded broker's buffers; WSO2's API-M control-plane Helm chart gives a 2 GiB heap a
 * 3 GiB container), plus Amazon Linux, the SSM agent and the CloudWatch agent.
 */
export const HEAP_HEADROOM_MIB = 2048;

/** The smallest heap stackConfig accepts; an instance type must fit it plus the headroom. */
const MIN_HEAP_MIB = 1024;

/** Architectures Amazon Linux 2023 images are built for. */
const IMAGE_ARCHITECTURES = ["x86_64", "arm64"];

/** What EC2 says about an instance type (aws.ec2.getInstanceType). */
export interface InstanceTypeFacts {
    /** memorySize, in MiB. */
    readonly memoryMib: number;
    readonly defaultVcpus: number;
    readonly architectures: readonly string[];
}

/** The outcome of looking the stack's instance type up in EC2. */
export type InstanceTypeLookup =
    | { readonly status: "found"; readonly facts: InstanceTypeFacts }
    | { readonly status: "unknown" }
    | { readonly status: "failed"; readonly reason: string };

/** EC2 answers DescribeInstanceTypes for a type it does not have with the InvalidInstanceType error code. */
export function isUnknownInstanceTypeError(message: string): boolean {
    return /InvalidInstanceType|no matching EC2 Instance Type/i.test(message);
}

/** The instance type and heap of one kind of machine, with the keys that set them. */
export interface MachineSizing {
    readonly typeKey: string;
    readonly heapKey: string;
    readonly instanceType: string;
    readonly heapMb: number;
    /** "node" or "gateway", for the messages. */
    readonly what: string;
}

/** The pair's nodes: instanceType and jvmHeapSizeMb. */
export function nodeSizing(config: StackConfig): MachineSizing {
    return { typeKey: "instanceType", heapKey: "jvmHeapSizeMb", instanceType: config.nodes.instanceType, heapMb: config.apim.jvmHeapSizeMb, what: "node" };
}

/** The Universal Gateways, when the stack has them. */
export function gatewaySizing(config: StackConfig): MachineSizing | undefined {
    const g = config.gateways;
    return g.enabled ? { typeKey: "gatewayInstanceType", heapKey: "gatewayJvmHeapSizeMb", instanceType: g.instanceType, heapMb: g.jvmHeapSizeMb, what: "gateway" } : undefined;
}

/**
 * Checks the instance type against what EC2 says about it: that it exists, runs an architecture Amazon
 * Linux 2023 is built for (the one the nodes' image is looked up for), and has room for the JVM heap.
 */
export function instanceTypeProblems(config: StackConfig, lookup: InstanceTypeLookup, imageArchitecture: string): ConfigProblem[] {
    return machineProblems(nodeSizing(config), lookup, imageArchitecture);
}

export function machineProblems(sizing: MachineSizing, lookup: InstanceTypeLookup, imageArchitecture: string): ConfigProblem[] {
    const { typeKey, heapKey, instanceType: type, heapMb, what } = sizing;
    if (lookup.status === "unknown") {
        return [{ key: typeKey, message: `unknown instance type "${type}": EC2 has no such type (sizes are written like m6i.large, m6i.xlarge, m6i.2xlarge)` }];
    }
    if (lookup.status === "failed") {
        return [{ key: typeKey, message: `could not look instance type "${type}" up in EC2: ${lookup.reason.split("\n")[0]}` }];
    }
    const { memoryMib, defaultVcpus, architectures } = lookup.facts;
    const size = `${type} (${defaultVcpus} vCPU, ${memoryMib} MiB of memory)`;
    const problems: ConfigProblem[] = [];
    if (!architectures.some((a) => IMAGE_ARCHITECTURES.includes(a))) {
        problems.push({ key: typeKey, message: `${type} runs ${architectures.join(", ")}; the ${what}s run Amazon Linux 2023, built for x86_64 and arm64` });
    } else if (!architectures.includes(imageArchitecture)) {
        problems.push({ key: typeKey, message: `${type} runs ${architectures.join(", ")}, but the ${what}s' image would be looked up for ${imageArchitecture}` });
    }
    const maxHeap = memoryMib - HEAP_HEADROOM_MIB;
    if (maxHeap < MIN_HEAP_MIB) {
        problems.push({
            key: typeKey,
            message: `${size} is too small: a ${what} needs at least ${MIN_HEAP_MIB + HEAP_HEADROOM_MIB} MiB (a ${MIN_HEAP_MIB} MiB heap and ${HEAP_HEADROOM_MIB} MiB besides it)`,
        });
    } else if (heapMb > maxHeap) {
        problems.push({
            key: heapKey,
            message:
                `${heapMb} MiB does not fit ${size}: at most ${maxHeap} MiB, leaving ${HEAP_HEADROOM_MIB} MiB ` +
                `for the JVM's memory outside the heap, the OS and the SSM and CloudWatch agents. Lower ${heapKey} or choose a larger ${typeKey}`,
        });
    }
    return problems;
}

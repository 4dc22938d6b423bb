import * as pulumi from "@pulumi/pulumi";

/**
 * Health gates: local commands (scripts/wait-for-healthy-targets.sh) that `pulumi up` runs to wait for
 * nodes, or an Auto Scaling group's instances, to be healthy in every target group.
 *
 * - Each node has a *rolling* gate, and the next node's instance depends on it. The gate waits only while
 *   another target is healthy in the node's groups (a replacement: something serves and must keep
 *   serving); with nothing healthy (a first deploy) it returns at once, so all nodes boot in parallel.
 * - The cluster has one *all-nodes* gate that depends on every node and always waits, so `pulumi up`
 *   ends only when every node is healthy.
 */

/** Run by @pulumi/command from the project directory (where `pulumi up` runs). */
export const HEALTH_GATE_COMMAND = "bash scripts/wait-for-healthy-targets.sh";

/**
 * Long enough for a first deployment, where nodes wait for RDS to be created (the boot script allows it
 * 40 minutes), install, seed the databases and start; a replacement usually takes 5-10 minutes. A boot
 * that fails ends the wait earlier, through the FAILED line of its boot log in CloudWatch Logs or of its
 * console output (which the gate reads by INSTANCE_IDS and AWS_REGION, so it needs no other input).
 */
export const HEALTH_GATE_TIMEOUT_SECONDS = 3600;

/**
 * rolling: one node, waited for only while another target serves; all: every node, always waited for;
 * group: an Auto Scaling group's latest instance refresh and its healthy instances (groupGateEnvironment).
 */
export type HealthGateMode = "rolling" | "all" | "group";

/** A node the gate waits for: its instance and the plan's node name (which names its boot log stream). */
export interface GatedNode {
    readonly nodeName: string;
    readonly instanceId: pulumi.Input<string>;
}

/**
 * The CloudWatch Logs stream of a node's boot log: the stream the node's CloudWatch agent writes
 * /var/log/cloud-init-output.log to (lib/node/logShipping.ts, `<node>/{instance_id}/boot`).
 */
export function bootLogStreamName(nodeName: string, instanceId: string): string {
    return `${nodeName}/${instanceId}/boot`;
}

/** Environment of the gate script (see its header for the meaning of each variable). */
export function healthGateEnvironment(args: {
    readonly mode: Exclude<HealthGateMode, "group">;
    readonly region: pulumi.Input<string>;
    readonly nodes: readonly GatedNode[];
    readonly targetGroupArns: readonly pulumi.Input<string>[];
    /** The nodes' log group, where the gate reads a failed boot's FAILED line. */
    readonly logGroupName: pulumi.Input<string>;
    readonly timeoutSeconds?: number;
}): Record<string, pulumi.Input<string>> {
    if (args.nodes.length === 0) throw new Error("healthGateEnvironment: no node to wait for");
    const instanceIds = pulumi.all(args.nodes.map((n) => n.instanceId));
    return {
        GATE_MODE: args.mode,
        AWS_REGION: args.region,
        INSTANCE_IDS: instanceIds.apply((ids) => ids.join(" ")),
        TARGET_GROUP_ARNS: pulumi.all([...args.targetGroupArns]).apply((arns) => arns.join(" ")),
        LOG_GROUP_NAME: args.logGroupName,
        BOOT_LOG_STREAMS: instanceIds.apply((ids) => ids.map((id, i) => bootLogStreamName(args.nodes[i].nodeName, id)).join(" ")),
        TIMEOUT_SECONDS: String(args.timeoutSeconds ?? HEALTH_GATE_TIMEOUT_SECONDS),
    };
}

/** The CloudWatch agent's placeholder for the instance id in a log stream name; the gate fills it in too. */
export const INSTANCE_ID_PLACEHOLDER = "{instance_id}";

/** What the gateways' log stream names start with, in place of a node's name: `gateway/<instance id>/<file>`. */
export const GATEWAY_LOG_STREAM_PREFIX = "gateway";

/**
 * A gateway's boot log stream, with INSTANCE_ID_PLACEHOLDER for its instance: what the gateways'
 * CloudWatch agent configuration names the stream of /var/log/cloud-init-output.log, and the pattern the
 * group gate reads it by (gateways are not known by id when the gate is created).
 */
export const GATEWAY_BOOT_LOG_STREAM_PATTERN = bootLogStreamName(GATEWAY_LOG_STREAM_PREFIX, INSTANCE_ID_PLACEHOLDER);

/**
 * Environment of the gate of an Auto Scaling group (GATE_MODE=group), e.g. the gateways'. The group's
 * instance refresh (Rolling, launching before terminating, rolling back on failure) runs in AWS after the
 * provider starts it, and nothing in Pulumi waits for it; this gate does: it ends when no refresh is active,
 * the latest is Successful and `minSize` in-service instances of the group's launch template version are
 * healthy in every target group, and fails when the refresh failed or was rolled back, printing a failed
 * boot's FAILED line (a terminated instance's too). With no refresh (a first deploy) it waits for `minSize`
 * healthy instances, which for gateways means the pair's control plane serves, hence the same 60-minute
 * default as the nodes. Run it when the launch template's version or the group changes, after the group
 * is updated (it reads the refresh that update started).
 */
export function groupGateEnvironment(args: {
    readonly region: pulumi.Input<string>;
    readonly autoScalingGroupName: pulumi.Input<string>;
    /** The groups the Auto Scaling group registers its instances in (its targetGroupArns). */
    readonly targetGroupArns: readonly pulumi.Input<string>[];
    /** Instances that must be healthy: the group's minimum size. */
    readonly minSize: pulumi.Input<number>;
    /** The log group of the instances' boot logs, streams named by GATEWAY_BOOT_LOG_STREAM_PATTERN. */
    readonly logGroupName: pulumi.Input<string>;
    readonly timeoutSeconds?: number;
}): Record<string, pulumi.Input<string>> {
    if (args.targetGroupArns.length === 0) throw new Error("groupGateEnvironment: no target group to wait for");
    const wholeCount = (n: number): string => {
        if (!Number.isInteger(n) || n < 0) throw new Error(`groupGateEnvironment: minSize must be a whole number of instances, got ${n}`);
        return String(n);
    };
    return {
        GATE_MODE: "group",
        AWS_REGION: args.region,
        ASG_NAME: args.autoScalingGroupName,
        TARGET_GROUP_ARNS: pulumi.all([...args.targetGroupArns]).apply((arns) => arns.join(" ")),
        MIN_SIZE: typeof args.minSize === "number" ? wholeCount(args.minSize) : pulumi.output(args.minSize).apply(wholeCount),
        LOG_GROUP_NAME: args.logGroupName,
        BOOT_LOG_STREAM_PATTERN: GATEWAY_BOOT_LOG_STREAM_PATTERN,
        TIMEOUT_SECONDS: String(args.timeoutSeconds ?? HEALTH_GATE_TIMEOUT_SECONDS),
    };
}

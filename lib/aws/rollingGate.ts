import * as pulumi from "@pulumi/pulumi";

/**
 * Health gates: local commands (scripts/wait-for-healthy-targets.sh) that `pulumi up` runs to wait for
 * nodes to be healthy in every target group.
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

/** rolling: one node, waited for only while another target serves; all: every node, always waited for. */
export type HealthGateMode = "rolling" | "all";

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
    readonly mode: HealthGateMode;
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

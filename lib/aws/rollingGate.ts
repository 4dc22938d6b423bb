import * as pulumi from "@pulumi/pulumi";

/**
 * The rolling gate: a local command that waits until a node's instance is healthy in every target group.
 * The next node's instance depends on it, so nodes are created and replaced one at a time.
 */

/** Run by @pulumi/command from the project directory (where `pulumi up` runs). */
export const ROLLING_GATE_COMMAND = "bash scripts/wait-for-healthy-targets.sh";

/**
 * Long enough for a first deployment, where node 1 waits for RDS to be created (the boot script allows
 * 40 minutes), installs, seeds the databases and starts; a replacement usually takes 5-10 minutes.
 */
export const ROLLING_GATE_TIMEOUT_SECONDS = 3600;

export function rollingGateEnvironment(args: {
    readonly region: pulumi.Input<string>;
    readonly instanceId: pulumi.Input<string>;
    readonly targetGroupArns: readonly pulumi.Input<string>[];
    readonly timeoutSeconds?: number;
}): pulumi.Input<Record<string, pulumi.Input<string>>> {
    return {
        AWS_REGION: args.region,
        INSTANCE_ID: args.instanceId,
        TARGET_GROUP_ARNS: pulumi.all([...args.targetGroupArns]).apply((arns) => arns.join(" ")),
        TIMEOUT_SECONDS: String(args.timeoutSeconds ?? ROLLING_GATE_TIMEOUT_SECONDS),
    };
}

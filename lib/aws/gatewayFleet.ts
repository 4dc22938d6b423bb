/**
 * The Universal Gateways' launch template, Auto Scaling group and scaling policy, as data:
 * components/gatewayFleet.ts creates them from these functions and the tests read the same ones. Generic
 * over the id type like the alarm table: plain strings in tests, Pulumi inputs in the component.
 */

/**
 * How long the group lets a new gateway fail the load balancer's health check before replacing it. On a
 * first deploy the gateways launch a few minutes in, beside the pair, and their boot waits for the pair's
 * control plane, which serves only at the end: about 14 minutes into a dev deploy and 23 into a prod one
 * (docs/boot-and-recovery.md, "How long a first deploy takes"). 30 minutes covers prod's 23 counted
 * from the deploy's very start, plus the gateway's own start and its two health checks (about 3
 * minutes), with 4 to spare; any less and the group would replace gateways that are only waiting,
 * starting their boot over. Later gateways (scale-out, replacements) are healthy within minutes, and
 * none gets traffic before it is.
 */
export const GATEWAY_HEALTH_CHECK_GRACE_SECONDS = 30 * 60;

/**
 * Seconds after a new gateway comes into service before its CPU counts in the group's average and an
 * instance refresh moves on to the next: a fresh JVM compiles its hot paths under its first traffic and
 * runs hot for a few minutes, which would otherwise scale the group out for nothing.
 */
export const GATEWAY_INSTANCE_WARMUP_SECONDS = 180;

/**
 * Root volume of a gateway in GiB: Amazon Linux, Corretto, the unpacked pack and its logs. No Solr index
 * and no deployed artifacts beyond what the control plane sends, so well under the nodes' size.
 */
export const GATEWAY_ROOT_VOLUME_GB = 20;

/** Root device of the Amazon Linux 2023 images (lib/node/nodeAmi.ts). */
export const AL2023_ROOT_DEVICE = "/dev/xvda";

/** The group's own metrics, every minute: the alarms and the dashboard read GroupInServiceInstances. */
export const GATEWAY_GROUP_METRICS = ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMinSize", "GroupMaxSize"] as const;
export const GATEWAY_METRICS_GRANULARITY = "1Minute";

/**
 * Why CPU, and not requests per target: a gateway's cost per request depends on the API's policies,
 * mediation and payload sizes, so one request count means light load for one API mix and saturation for
 * another, while CPU measures saturation whatever the mix. WSO2's own gateway Helm chart scales on CPU too.
 */
export const GATEWAY_SCALING_METRIC = "ASGAverageCPUUtilization";

/** Instance metadata: IMDSv2 tokens only, and one hop, so nothing behind the instance (a container) reads its role. */
export const GATEWAY_METADATA_OPTIONS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } as const;

/**
 * The instance refresh a launch-template change starts: launch before terminate (never below 100 % of the
 * desired gateways healthy, up to 200 % while replacing), skip gateways already on the new version, and
 * roll back to the last version if the refresh fails. Rollback needs a numbered template version, which
 * is why the group names the template's latestVersion rather than $Latest (which would also start no
 * refresh at all).
 */
export const GATEWAY_INSTANCE_REFRESH = {
    strategy: "Rolling",
    preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        autoRollback: true,
        skipMatching: true,
        instanceWarmup: String(GATEWAY_INSTANCE_WARMUP_SECONDS),
    },
} as const;

export interface GatewayFleetSizing {
    readonly minSize: number;
    readonly maxSize: number;
    readonly targetCpuPercent: number;
    /** Private subnets the group launches into. */
    readonly subnetCount: number;
    /** Target groups the gateways register in. */
    readonly targetGroupCount: number;
}

/** What the component refuses before creating anything, every problem at once. */
export function gatewayFleetProblems(sizing: GatewayFleetSizing): string[] {
    const problems: string[] = [];
    const whole = (n: number) => Number.isInteger(n);
    if (!whole(sizing.minSize) || sizing.minSize < 1) problems.push(`minSize must be a whole number of at least 1, got ${sizing.minSize}`);
    if (!whole(sizing.maxSize) || sizing.maxSize < sizing.minSize) problems.push(`maxSize must be a whole number of at least minSize (${sizing.minSize}), got ${sizing.maxSize}`);
    if (!(sizing.targetCpuPercent > 0 && sizing.targetCpuPercent < 100)) problems.push(`targetCpuPercent must be between 0 and 100, got ${sizing.targetCpuPercent}`);
    if (sizing.subnetCount < 1) problems.push("subnetIds must name at least one private subnet");
    if (sizing.targetGroupCount < 1) problems.push("targetGroups must name at least one target group");
    return problems;
}

/** The launch template's settings; imageId, instance type, profile, key, group and user data come from the stack. */
export function gatewayLaunchTemplateArgs<Id>(input: {
    readonly imageId: Id;
    readonly instanceType: string;
    readonly instanceProfileName: Id;
    readonly securityGroupId: Id;
    readonly kmsKeyArn: Id;
    /** Gzip'd cloud-config, base64 (renderGatewayUserData). */
    readonly userDataBase64: Id;
    /** Put on every gateway instance and its volume (the provider's default tags do not reach them). */
    readonly tags: Readonly<Record<string, string>>;
}) {
    return {
        description: "WSO2 Universal Gateway",
        imageId: input.imageId,
        instanceType: input.instanceType,
        iamInstanceProfile: { name: input.instanceProfileName },
        // Private subnets only, and no public address even there; the group picks the subnet.
        networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [input.securityGroupId] }],
        metadataOptions: { ...GATEWAY_METADATA_OPTIONS },
        blockDeviceMappings: [
            {
                deviceName: AL2023_ROOT_DEVICE,
                ebs: { volumeType: "gp3", volumeSize: GATEWAY_ROOT_VOLUME_GB, encrypted: "true", kmsKeyId: input.kmsKeyArn, deleteOnTermination: "true" },
            },
        ],
        monitoring: { enabled: true },
        userData: input.userDataBase64,
        tagSpecifications: (["instance", "volume"] as const).map((resourceType) => ({ resourceType, tags: { ...input.tags } })),
    };
}

/** The Auto Scaling group's settings. */
export function gatewayGroupArgs<Id>(input: {
    readonly subnetIds: readonly Id[];
    readonly minSize: number;
    readonly maxSize: number;
    readonly targetGroupArns: readonly Id[];
    readonly launchTemplateId: Id;
    /** The template's latestVersion, as a string. */
    readonly launchTemplateVersion: Id;
    /** On the group itself; the launch template tags the instances. */
    readonly tags: Readonly<Record<string, string>>;
}) {
    return {
        vpcZoneIdentifiers: [...input.subnetIds],
        minSize: input.minSize,
        maxSize: input.maxSize,
        // The starting point only: scaling owns it afterwards (the component ignores later changes).
        desiredCapacity: input.minSize,
        healthCheckType: "ELB",
        healthCheckGracePeriod: GATEWAY_HEALTH_CHECK_GRACE_SECONDS,
        defaultInstanceWarmup: GATEWAY_INSTANCE_WARMUP_SECONDS,
        targetGroupArns: [...input.targetGroupArns],
        enabledMetrics: [...GATEWAY_GROUP_METRICS],
        metricsGranularity: GATEWAY_METRICS_GRANULARITY,
        launchTemplate: { id: input.launchTemplateId, version: input.launchTemplateVersion },
        instanceRefresh: { strategy: GATEWAY_INSTANCE_REFRESH.strategy, preferences: { ...GATEWAY_INSTANCE_REFRESH.preferences } },
        // The provider's own wait (10 minutes, ASG health only) would end a first deploy's wait for the
        // control plane early; the group's health gate waits instead, and reports a failed boot's line.
        waitForCapacityTimeout: "0",
        tags: Object.entries(input.tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
    };
}

/** Target tracking on the gateways' average CPU (see GATEWAY_SCALING_METRIC for why CPU). */
export function gatewayScalingPolicyArgs<Id>(autoScalingGroupName: Id, targetCpuPercent: number) {
    return {
        autoscalingGroupName: autoScalingGroupName,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: GATEWAY_SCALING_METRIC },
            targetValue: targetCpuPercent,
            disableScaleIn: false,
        },
    };
}

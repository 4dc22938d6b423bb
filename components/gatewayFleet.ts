import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import * as command from "@pulumi/command";
import type { StackConfig } from "../lib/config/stackConfig";
import type { ClusterPlan } from "../lib/plan/clusterPlan";
import { renderGatewayUserData } from "../lib/node/gatewayUserData";
import { groupGateEnvironment, HEALTH_GATE_COMMAND } from "../lib/aws/rollingGate";
import { gatewayFleetProblems, gatewayGroupArgs, gatewayLaunchTemplateArgs, gatewayScalingPolicyArgs } from "../lib/aws/gatewayFleet";
import { NodeIdentity } from "./nodeIdentity";

export interface GatewayTargetGroup {
    /** Short name for messages (gateway, websocket). */
    readonly key: string;
    readonly arn: pulumi.Input<string>;
}

export interface GatewayFleetArgs {
    /** The validated stack configuration (gatewaysEnabled true) and the cluster plan (with its gateways part). */
    readonly config: StackConfig;
    readonly plan: ClusterPlan;
    /** The private subnets of every zone; the group spreads the gateways over them. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** The gateways' security group (lib/aws/securityGroupRules.ts, role gateway). */
    readonly securityGroupId: pulumi.Input<string>;
    /** The stack key: root volumes, the log group, and the secret and boot script the gateways decrypt. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The nodes' Amazon Linux 2023 image. */
    readonly amiId: pulumi.Input<string>;
    /** True when amiId was looked up: later AMI releases then make no new template version (no silent roll). Default false. */
    readonly ignoreAmiChanges?: boolean;
    /** The gateways' own secret (ClusterSecrets gatewaySecretArn, no database password), read at boot, and its region. */
    readonly secretArn: pulumi.Input<string>;
    /** The cluster certificate in the secret (public): its digest in user data rolls the gateways when it changes. */
    readonly keystoreCertificatePem: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** The boot script's S3 object and SHA-256 (BootArtifacts), fetched and checked by the loader in user data. */
    readonly bootScript: { readonly bucket: pulumi.Input<string>; readonly key: pulumi.Input<string>; readonly sha256: string };
    /** The boot bucket and the prefix of its boot scripts: the gateways may read only those objects. */
    readonly bootArtifactsBucketArn: pulumi.Input<string>;
    readonly bootObjectPrefix: string;
    /** The gateways' log group, created here (lib/aws/nodeLogGroup.ts gatewayLogGroupName), and its retention in days. */
    readonly logGroupName: string;
    readonly logRetentionDays: number;
    /** The target groups the gateways serve (the gateway host's, WebSocket handshakes included). */
    readonly targetGroups: readonly GatewayTargetGroup[];
    /** Tags for the group, every gateway and its volume (the provider's default tags reach none of them). */
    readonly tags?: Readonly<Record<string, string>>;
    /**
     * What a gateway's boot uses that the group's inputs do not bring (the subnets' routes out, the
     * security-group rules it talks through, the secret's value, the boot bucket's policy, the VPC
     * endpoints). Never the pair: the boot waits for the control plane itself.
     */
    readonly bootDependencies?: readonly pulumi.Resource[];
    /** How long the health gate waits. Default HEALTH_GATE_TIMEOUT_SECONDS (lib/aws/rollingGate.ts). */
    readonly healthyTimeoutSeconds?: number;
}

/**
 * WSO2 Universal Gateways in an EC2 Auto Scaling group ("simple scalable" pattern: the pair stays control
 * plane, key manager and traffic manager): their own role and log group, a launch template, the group in
 * the gateway target groups with ELB health checks, instance refresh on every template change, target
 * tracking on CPU, and a health gate, so `pulumi up` ends only when the gateways serve. Settings live in
 * lib/aws/gatewayFleet.ts.
 */
export class GatewayFleet extends pulumi.ComponentResource {
    readonly autoScalingGroupName: pulumi.Output<string>;
    readonly launchTemplateId: pulumi.Output<string>;
    readonly launchTemplateVersion: pulumi.Output<number>;
    readonly logGroupName: pulumi.Output<string>;
    /** Completes once the group's instance refresh (if any) succeeded and minSize gateways are healthy in every target group. */
    readonly healthGate: command.local.Command;

    constructor(name: string, args: GatewayFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        const { config, plan } = args;
        const gateways = config.gateways;
        if (!gateways.enabled || !plan.gateways) throw new Error(`GatewayFleet ${name}: the stack has no gateways (gatewaysEnabled is false)`);
        const problems = gatewayFleetProblems({
            minSize: gateways.minSize,
            maxSize: gateways.maxSize,
            targetCpuPercent: gateways.targetCpuPercent,
            subnetCount: args.subnetIds.length,
            targetGroupCount: args.targetGroups.length,
        });
        if (problems.length > 0) throw new Error(`GatewayFleet ${name}: ${problems.join("; ")}`);
        super("wso2-apim-ha:gatewayFleet:GatewayFleet", name, {}, opts);
        const opt = { parent: this };
        const gatewayName = plan.gateways.name;

        const identity = new NodeIdentity(
            `${name}-identity`,
            {
                description: "WSO2 Universal Gateways",
                secretArn: args.secretArn,
                kmsKeyArn: args.kmsKeyArn,
                bootArtifactsBucketArn: args.bootArtifactsBucketArn,
                bootObjectPrefix: args.bootObjectPrefix,
                region: args.region,
                logGroupName: args.logGroupName,
                logRetentionDays: args.logRetentionDays,
            },
            opt,
        );

        const userDataBase64 = pulumi
            .all([args.secretArn, args.region, identity.logGroupName, args.bootScript.bucket, args.bootScript.key, args.keystoreCertificatePem])
            .apply(([secretArn, region, logGroupName, bucket, key, keystoreCertificatePem]) =>
                renderGatewayUserData(config, plan, { secretArn, region, logGroupName, bootScript: { bucket, key, sha256: args.bootScript.sha256 }, keystoreCertificatePem })
                    .userDataBase64,
            );
        const instanceTags = { ...args.tags, Name: gatewayName, "wso2:role": gatewayName };
        const template = new aws.ec2.LaunchTemplate(
            `${name}-template`,
            gatewayLaunchTemplateArgs<pulumi.Input<string>>({
                imageId: args.amiId,
                instanceType: gateways.instanceType,
                instanceProfileName: identity.instanceProfileName,
                securityGroupId: args.securityGroupId,
                kmsKeyArn: args.kmsKeyArn,
                userDataBase64,
                tags: instanceTags,
            }),
            // A looked-up image makes no new version when AWS releases the next one, as for the nodes.
            { parent: this, ignoreChanges: args.ignoreAmiChanges ? ["imageId"] : [] },
        );

        const group = new aws.autoscaling.Group(
            `${name}-group`,
            gatewayGroupArgs<pulumi.Input<string>>({
                subnetIds: args.subnetIds,
                minSize: gateways.minSize,
                maxSize: gateways.maxSize,
                targetGroupArns: args.targetGroups.map((g) => g.arn),
                launchTemplateId: template.id,
                // A numbered version: each template change starts an instance refresh, which can roll back.
                launchTemplateVersion: template.latestVersion.apply(String),
                tags: { ...args.tags },
            }),
            {
                parent: this,
                dependsOn: [...(args.bootDependencies ?? []), identity.rolePolicy],
                // Target tracking owns the desired capacity once the group exists.
                ignoreChanges: ["desiredCapacity"],
            },
        );

        new aws.autoscaling.Policy(`${name}-cpu-target`, gatewayScalingPolicyArgs(group.name, gateways.targetCpuPercent), opt);

        // The provider starts the instance refresh and returns; this waits for it (and for a first deploy's
        // gateways) on the operator's machine during `pulumi up`, and prints a failed boot's FAILED line.
        this.healthGate = new command.local.Command(
            `${name}-healthy`,
            {
                create: HEALTH_GATE_COMMAND,
                environment: groupGateEnvironment({
                    region: args.region,
                    autoScalingGroupName: group.name,
                    targetGroupArns: args.targetGroups.map((g) => g.arn),
                    minSize: gateways.minSize,
                    logGroupName: identity.logGroupName,
                    timeoutSeconds: args.healthyTimeoutSeconds,
                }),
                // A new template version means a refresh to wait for; a new group, new gateways.
                triggers: [template.latestVersion, group.name],
            },
            { parent: this, dependsOn: [group] },
        );

        this.autoScalingGroupName = group.name;
        this.launchTemplateId = template.id;
        this.launchTemplateVersion = template.latestVersion;
        this.logGroupName = identity.logGroupName;
        this.registerOutputs({
            autoScalingGroupName: this.autoScalingGroupName,
            launchTemplateId: this.launchTemplateId,
            launchTemplateVersion: this.launchTemplateVersion,
            logGroupName: this.logGroupName,
        });
    }
}

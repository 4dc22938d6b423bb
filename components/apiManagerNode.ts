import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import * as command from "@pulumi/command";
import type { StackConfig } from "../lib/config/stackConfig";
import type { ClusterPlan, NodePlan } from "../lib/plan/clusterPlan";
import { renderNodeUserData } from "../lib/node/nodeUserData";
import { healthGateEnvironment, HEALTH_GATE_COMMAND } from "../lib/aws/rollingGate";

export interface NodeTargetGroup {
    readonly arn: pulumi.Input<string>;
    /** The node port the group sends to. */
    readonly port: number;
    /** Short name for resource names (portal, gateway, websocket). */
    readonly key: string;
}

export interface ApiManagerNodeArgs {
    /** The validated stack configuration and the cluster plan, from which the node's user data is rendered. */
    readonly config: StackConfig;
    readonly plan: ClusterPlan;
    /** Which node this is (name, private host name, zone slot). */
    readonly node: NodePlan;
    /** Private subnet of the node's zone (the plan's zoneSlot indexes the private subnets). */
    readonly subnetId: pulumi.Input<string>;
    /** The nodes' security group. */
    readonly securityGroupId: pulumi.Input<string>;
    readonly instanceProfileName: pulumi.Input<string>;
    /** The stack key the root volume is encrypted with (a different key replaces the node, as any volume change does). */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Amazon Linux 2023 AMI. */
    readonly amiId: pulumi.Input<string>;
    /**
     * True when amiId was looked up rather than pinned: later AMI releases then do not replace the node.
     * Default false (a pinned AMI change rolls the nodes, one at a time).
     */
    readonly ignoreAmiChanges?: boolean;
    /** Cloud ids that go into the node's (non-secret) user data. Never the database endpoint: nodes use the plan's stable name. */
    readonly fileSystemId: pulumi.Input<string>;
    readonly accessPointId: pulumi.Input<string>;
    readonly secretArn: pulumi.Input<string>;
    /** The cluster certificate in the secret (public); with gateways its digest is in user data, so a new one rolls the node. */
    readonly keystoreCertificatePem?: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** CloudWatch log group the node ships its boot and server logs to (NodeIdentity creates it). */
    readonly logGroupName: pulumi.Input<string>;
    /** The boot script's S3 object (BootArtifacts) and its SHA-256: the loader in user data fetches and checks it. */
    readonly bootScript: { readonly bucket: pulumi.Input<string>; readonly key: pulumi.Input<string>; readonly sha256: string };
    /** Every target group the node serves; one attachment each, and the rolling gate waits for all. */
    readonly targetGroups: readonly NodeTargetGroup[];
    /** The private hosted zone that gets the node's `apim-<n>` A record. */
    readonly privateZoneId: pulumi.Input<string>;
    /**
     * The previous node's rolling gate: this node's instance is created (or replaced) only once that gate
     * has passed, which on a replacement means the previous node is healthy, so one node always serves.
     * Undefined for the first node.
     */
    readonly previousNodeGate?: pulumi.Resource;
    /**
     * Resources the boot uses that the instance's inputs do not already refer to (the default route of the
     * node's subnet, the secret's value, the node role's policy, the security-group rules it talks
     * through, the boot bucket's policy). Only those: each one delays the node. Never the database: the
     * boot script waits for it.
     */
    readonly bootDependencies?: readonly pulumi.Resource[];
    /** How long the rolling gate waits for the node to become healthy. Default HEALTH_GATE_TIMEOUT_SECONDS. */
    readonly healthyTimeoutSeconds?: number;
}

/**
 * One all-in-one API Manager node: an immutable instance (any change to its user data replaces it, new
 * before old), its target group registrations, its stable private DNS name and its rolling gate.
 */
export class ApiManagerNode extends pulumi.ComponentResource {
    readonly instanceId: pulumi.Output<string>;
    readonly privateIp: pulumi.Output<string>;
    /**
     * The rolling gate: completes once this node's current instance is healthy in every target group, or
     * at once when no other target is healthy there (nothing serves yet, so there is nothing to protect).
     */
    readonly healthGate: command.local.Command;

    constructor(name: string, args: ApiManagerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:apiManagerNode:ApiManagerNode", name, {}, opts);
        const { config, plan, node } = args;

        const userDataBase64 = pulumi
            .all([args.fileSystemId, args.accessPointId, args.secretArn, args.region, args.logGroupName, args.bootScript.bucket, args.bootScript.key, args.keystoreCertificatePem])
            .apply(([fileSystemId, accessPointId, secretArn, region, logGroupName, bucket, key, keystoreCertificatePem]) =>
                renderNodeUserData(config, plan, node, {
                    fileSystemId,
                    accessPointId,
                    secretArn,
                    region,
                    logGroupName,
                    bootScript: { bucket, key, sha256: args.bootScript.sha256 },
                    keystoreCertificatePem,
                }).userDataBase64,
            );

        const instance = new aws.ec2.Instance(
            `${name}-instance`,
            {
                ami: args.amiId,
                instanceType: config.nodes.instanceType,
                subnetId: args.subnetId,
                vpcSecurityGroupIds: [args.securityGroupId],
                associatePublicIpAddress: false,
                iamInstanceProfile: args.instanceProfileName,
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                rootBlockDevice: {
                    volumeType: "gp3",
                    volumeSize: config.nodes.rootVolumeSizeGb,
                    encrypted: true,
                    kmsKeyId: args.kmsKeyArn,
                    deleteOnTermination: true,
                },
                monitoring: true,
                userDataBase64,
                // Immutable nodes: a new configuration is a new instance, never a stop/start of the old one.
                userDataReplaceOnChange: true,
                tags: { Name: node.name, "wso2:node": node.name },
            },
            {
                parent: this,
                dependsOn: [...(args.bootDependencies ?? []), ...(args.previousNodeGate ? [args.previousNodeGate] : [])],
                ignoreChanges: args.ignoreAmiChanges ? ["ami"] : [],
            },
        );

        const attachments = args.targetGroups.map(
            (group) =>
                new aws.lb.TargetGroupAttachment(
                    `${name}-${group.key}`,
                    { targetGroupArn: group.arn, targetId: instance.id, port: group.port },
                    { parent: this },
                ),
        );

        // Runs on the operator's machine during `pulumi up` (not in preview); needs the AWS CLI.
        this.healthGate = new command.local.Command(
            `${name}-healthy`,
            {
                create: HEALTH_GATE_COMMAND,
                environment: healthGateEnvironment({
                    mode: "rolling",
                    region: args.region,
                    nodes: [{ nodeName: node.name, instanceId: instance.id }],
                    targetGroupArns: args.targetGroups.map((g) => g.arn),
                    logGroupName: args.logGroupName,
                    timeoutSeconds: args.healthyTimeoutSeconds,
                }),
                // A new instance means a new wait; anything else about the gate is irrelevant.
                triggers: [instance.id],
            },
            { parent: this, dependsOn: attachments },
        );

        // The peer sends its events to this name, so it moves to a new instance only once that instance
        // serves: during a roll the old instance, still serving, keeps hearing them. On a first deploy the
        // gate returns at once, so this waits for nothing.
        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: args.privateZoneId, name: node.hostName, type: "A", ttl: 30, records: [instance.privateIp] },
            { parent: this, dependsOn: [this.healthGate] },
        );

        this.instanceId = instance.id;
        this.privateIp = instance.privateIp;
        this.registerOutputs({ instanceId: this.instanceId, privateIp: this.privateIp });
    }
}

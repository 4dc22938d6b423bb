import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import * as command from "@pulumi/command";
import type { StackConfig } from "../lib/config/stackConfig";
import { planCluster } from "../lib/plan/clusterPlan";
import { maxConnectionsFor, DB_POOL_MAX_ACTIVE, databaseIdentifier, databaseLogGroupName } from "../lib/plan/databaseParameters";
import { al2023AmiNamePattern, amiArchitectureFor } from "../lib/node/nodeAmi";
import { gatewayLogGroupName, nodeLogGroupName } from "../lib/aws/nodeLogGroup";
import { GATEWAY_TARGET_GROUP_KEYS } from "../lib/aws/loadBalancerRouting";
import { nodeMetricsNamespace } from "../lib/node/logShipping";
import { clusterUrls } from "../lib/plan/clusterUrls";
import { healthGateEnvironment, HEALTH_GATE_COMMAND } from "../lib/aws/rollingGate";
import { flowLogGroupName, stackLogGroupPattern } from "../lib/aws/stackLogGroups";
import { StackKey } from "./stackKey";
import { Network } from "./network";
import { SecurityGroups } from "./securityGroups";
import { VpcEndpoints } from "./vpcEndpoints";
import { ClusterSecrets } from "./clusterSecrets";
import { DatabaseTier } from "./databaseTier";
import { SharedFileSystem, THROUGHPUT_MODE } from "./sharedFileSystem";
import { LoadBalancerCertificate } from "./loadBalancerCertificate";
import { LoadBalancer } from "./loadBalancer";
import { NodeIdentity } from "./nodeIdentity";
import { BootArtifacts } from "./bootArtifacts";
import { bootScriptArtifact } from "../lib/node/bootScript";
import { ApiManagerNode } from "./apiManagerNode";
import { Operations } from "./operations";
import { GatewayFleet } from "./gatewayFleet";
import { gatewaySecretKeys } from "../lib/node/gatewayDeploymentToml";

export interface ApiManagerClusterArgs {
    /**
     * The validated stack configuration (lib/config/readStackConfig.ts). The analytics auth token, when analytics
     * is enabled, comes from `config.analytics` and goes only into the stack secret.
     */
    readonly config: StackConfig;
    /** Stack name for per-stack physical names (the node log group). Default: the current Pulumi stack. */
    readonly stackName?: string;
}

/** The stack outputs: nothing secret, all plain strings (and the list of instance ids). */
export interface ApiManagerClusterOutputs {
    readonly portalUrl: pulumi.Output<string>;
    readonly publisherUrl: pulumi.Output<string>;
    readonly devportalUrl: pulumi.Output<string>;
    readonly adminUrl: pulumi.Output<string>;
    readonly carbonUrl: pulumi.Output<string>;
    readonly gatewayUrl: pulumi.Output<string>;
    readonly loadBalancerDnsName: pulumi.Output<string>;
    readonly nodeInstanceIds: pulumi.Output<string[]>;
    readonly databaseEndpoint: pulumi.Output<string>;
    readonly fileSystemId: pulumi.Output<string>;
    readonly secretArn: pulumi.Output<string>;
    /** The SNS topic every alarm notifies (attach a pager here); absent with alarmsEnabled false. */
    readonly alarmTopicArn?: pulumi.Output<string>;
    /** The stack's CloudWatch dashboard in the console; absent with alarmsEnabled false. */
    readonly dashboardUrl?: pulumi.Output<string>;
    /** The Universal Gateways' Auto Scaling group; only with gatewaysEnabled. */
    readonly gatewayAutoScalingGroupName?: pulumi.Output<string>;
}

/**
 * The whole WSO2 API Manager active-active deployment: network, security groups, secret, database,
 * shared file system, load balancer with its certificate, the node identity and one node per plan node,
 * replaced one at a time while any node serves, and a last gate that waits for every node. With
 * gatewaysEnabled, Universal Gateways in an Auto Scaling group take the gateway host's traffic and the
 * pair serves the portals and the control plane (a private name on both nodes).
 */
export class ApiManagerCluster extends pulumi.ComponentResource {
    readonly outputs: ApiManagerClusterOutputs;
    readonly nodes: readonly ApiManagerNode[];
    /** Completes once every node's current instance is healthy in every target group. */
    readonly nodesHealthy: command.local.Command;
    /** Only with gatewaysEnabled. */
    readonly gateways?: GatewayFleet;

    constructor(name: string, args: ApiManagerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:apiManagerCluster:ApiManagerCluster", name, {}, opts);
        const { config } = args;
        const plan = planCluster(config);
        const stack = args.stackName ?? pulumi.getStack();
        const opt = { parent: this };
        const region = aws.getRegionOutput({}, opt).region;
        const databaseName = `${name}-db`;

        // First, since everything that stores data is encrypted with it. CloudWatch Logs may use it for the
        // stack's own log groups and for the two RDS exports (named after the fixed database identifier).
        const key = new StackKey(
            `${name}-kms`,
            {
                logGroupNamePatterns: [
                    stackLogGroupPattern(stack),
                    databaseLogGroupName(databaseIdentifier(pulumi.getProject(), pulumi.getStack(), databaseName), "*"),
                ],
                alarmTopic: config.alarms.enabled,
            },
            opt,
        );

        const network = new Network(
            `${name}-network`,
            {
                network: config.network,
                privateZoneName: plan.privateZoneName,
                logRetentionDays: config.logRetentionDays,
                flowLogGroupName: flowLogGroupName(stack),
                kmsKeyArn: key.keyArn,
            },
            opt,
        );
        const groups = new SecurityGroups(
            `${name}-sg`,
            { vpcId: network.vpcId, allowedClientCidrs: config.allowedClientCidrs, vpcEndpoints: config.vpcEndpoints, gateways: config.gateways.enabled },
            opt,
        );
        const endpoints = config.vpcEndpoints
            ? new VpcEndpoints(
                  `${name}-endpoints`,
                  {
                      vpcId: network.vpcId,
                      subnetIds: network.privateSubnetIds,
                      securityGroupId: groups.vpcEndpointSgId!,
                      routeTableIds: network.privateRouteTableIds,
                  },
                  opt,
              )
            : undefined;

        const secrets = new ClusterSecrets(
            `${name}-secrets`,
            {
                hostNames: plan.hostNames,
                nodeHostNames: plan.nodes.map((n) => n.hostName),
                controlPlaneHostName: plan.gateways?.controlPlaneHostName,
                kmsKeyArn: key.keyArn,
                analyticsAuthToken: config.analytics.enabled ? config.analytics.authToken : undefined,
                recoveryWindowInDays: config.deletionProtection ? 30 : 7,
                gatewaySecretKeys: plan.gateways ? gatewaySecretKeys(config, plan) : undefined,
            },
            opt,
        );

        const maxConnections = maxConnectionsFor(config.nodes.count, DB_POOL_MAX_ACTIVE);
        const database = new DatabaseTier(
            databaseName,
            {
                subnetIds: network.privateSubnetIds,
                securityGroupId: groups.databaseSgId,
                database: config.database,
                deletionProtection: config.deletionProtection,
                masterUsername: plan.database.masterUsername,
                masterPassword: secrets.dbMasterPassword,
                initialDatabaseName: plan.database.apimDbName,
                maxConnections,
                privateZoneId: network.privateZoneId,
                hostName: plan.database.hostName,
                logRetentionDays: config.logRetentionDays,
                kmsKeyArn: key.keyArn,
            },
            opt,
        );

        const fileSystem = new SharedFileSystem(
            `${name}-efs`,
            {
                subnetIds: network.privateSubnetIds,
                securityGroupId: groups.fileSystemSgId,
                runAs: plan.runAs,
                kmsKeyArn: key.keyArn,
                deletionProtection: config.deletionProtection,
            },
            opt,
        );

        const hostedZoneName = config.certificate.hostedZoneName;
        const publicZoneId = hostedZoneName ? aws.route53.getZoneOutput({ name: hostedZoneName, privateZone: false }, opt).zoneId : undefined;

        const certificate = new LoadBalancerCertificate(
            `${name}-cert`,
            { certificate: config.certificate, hostNames: plan.hostNames, publicZoneId },
            opt,
        );
        const loadBalancer = new LoadBalancer(
            `${name}-lb`,
            {
                vpcId: network.vpcId,
                subnetIds: network.publicSubnetIds,
                securityGroupId: groups.loadBalancerSgId,
                certificateArn: certificate.certificateArn,
                hostNames: plan.hostNames,
                deletionProtection: config.deletionProtection,
                dropInvalidHeaders: config.loadBalancerDropInvalidHeaders,
                accessLogs: config.loadBalancerAccessLogs,
                publicZoneId,
            },
            opt,
        );

        // The boot script, too large for user data: each node fetches it and checks the SHA-256 its user data carries.
        const boot = new BootArtifacts(`${name}-boot`, { bootScript: bootScriptArtifact(plan.paths.bootstrapScript), kmsKeyArn: key.keyArn }, opt);

        const identity = new NodeIdentity(
            `${name}-node-identity`,
            {
                secretArn: secrets.secretArn,
                bootArtifactsBucketArn: boot.bucketArn,
                bootObjectPrefix: boot.readablePrefix,
                kmsKeyArn: key.keyArn,
                fileSystemArn: fileSystem.fileSystemArn,
                accessPointArn: fileSystem.accessPointArn,
                region,
                logGroupName: nodeLogGroupName(stack),
                logRetentionDays: config.logRetentionDays,
            },
            opt,
        );

        const ami = nodeAmi(config, opt);
        // With gateways the gateway host goes to them only: the nodes serve (and their gates wait on) the portal group.
        const nodeTargetGroups = plan.gateways
            ? loadBalancer.targetGroups.filter((g) => !GATEWAY_TARGET_GROUP_KEYS.includes(g.key))
            : loadBalancer.targetGroups;
        const nodes: ApiManagerNode[] = [];
        for (const node of plan.nodes) {
            nodes.push(
                new ApiManagerNode(
                    `${name}-${node.name}`,
                    {
                        config,
                        plan,
                        node,
                        subnetId: network.privateSubnetIds[node.zoneSlot],
                        securityGroupId: groups.nodeSgId,
                        instanceProfileName: identity.instanceProfileName,
                        kmsKeyArn: key.keyArn,
                        amiId: ami.id,
                        ignoreAmiChanges: ami.lookedUp,
                        fileSystemId: fileSystem.fileSystemId,
                        accessPointId: fileSystem.accessPointId,
                        secretArn: secrets.secretArn,
                        // only gateways need the nodes to carry the certificate's digest (it names control-plane.<zone>)
                        keystoreCertificatePem: config.gateways.enabled ? secrets.keystoreCertificatePem : undefined,
                        region,
                        logGroupName: identity.logGroupName,
                        bootScript: boot.bootScript,
                        targetGroups: nodeTargetGroups,
                        privateZoneId: network.privateZoneId,
                        // On a replacement, one node at a time; on a first deploy the gate returns at once.
                        previousNodeGate: nodes.length > 0 ? nodes[nodes.length - 1].healthGate : undefined,
                        // What the boot uses and the inputs do not already bring (the file system's mount
                        // targets come with accessPointId, the log group and profile with their names, the boot
                        // script's object with its key), and the VPC endpoints the boot's AWS calls go through.
                        // Never the database: the boot script waits for it.
                        bootDependencies: [
                            ...network.privateEgress[node.zoneSlot],
                            ...groups.nodeBootRules,
                            secrets.secretValue,
                            identity.rolePolicy,
                            ...boot.readyForNodes,
                            ...(endpoints ? [endpoints] : []),
                        ],
                    },
                    opt,
                ),
            );
        }
        this.nodes = nodes;

        // `pulumi up` ends only when every node serves, also when the rolling gates did not wait.
        this.nodesHealthy = new command.local.Command(
            `${name}-nodes-healthy`,
            {
                create: HEALTH_GATE_COMMAND,
                environment: healthGateEnvironment({
                    mode: "all",
                    region,
                    nodes: plan.nodes.map((node, i) => ({ nodeName: node.name, instanceId: nodes[i].instanceId })),
                    targetGroupArns: nodeTargetGroups.map((g) => g.arn),
                    logGroupName: identity.logGroupName,
                }),
                triggers: nodes.map((n) => n.instanceId),
            },
            { parent: this, dependsOn: nodes },
        );

        if (config.gateways.enabled && plan.gateways) {
            // The gateways' way to the control plane: both nodes, each named only once its rolling gate has
            // passed (as the nodes' own names), so during a roll it keeps pointing at instances that serve.
            new aws.route53.Record(
                `${name}-control-plane-dns`,
                { zoneId: network.privateZoneId, name: plan.gateways.controlPlaneHostName, type: "A", ttl: 30, records: nodes.map((n) => n.privateIp) },
                { parent: this, dependsOn: nodes.map((n) => n.healthGate) },
            );
            this.gateways = new GatewayFleet(
                `${name}-gateways`,
                {
                    config,
                    plan,
                    subnetIds: network.privateSubnetIds,
                    securityGroupId: groups.gatewaySgId!,
                    kmsKeyArn: key.keyArn,
                    amiId: ami.id,
                    ignoreAmiChanges: ami.lookedUp,
                    // their own secret, without the database passwords
                    secretArn: secrets.gatewaySecretArn!,
                    keystoreCertificatePem: secrets.keystoreCertificatePem,
                    region,
                    bootScript: boot.bootScript,
                    bootArtifactsBucketArn: boot.bucketArn,
                    bootObjectPrefix: boot.readablePrefix,
                    logGroupName: gatewayLogGroupName(stack),
                    logRetentionDays: config.logRetentionDays,
                    targetGroups: loadBalancer.targetGroups.filter((g) => GATEWAY_TARGET_GROUP_KEYS.includes(g.key)),
                    tags: providerDefaultTags(),
                    // As for the nodes: every zone's way out, the rules the boot talks through, the secret's
                    // value, the boot bucket's policy, the endpoints. Never the pair: the boot waits for it.
                    bootDependencies: [
                        ...network.privateEgress.flat(),
                        ...groups.gatewayBootRules,
                        secrets.gatewaySecretValue!,
                        ...boot.readyForNodes,
                        ...(endpoints ? [endpoints] : []),
                    ],
                },
                opt,
            );
        }

        const operations = config.alarms.enabled
            ? new Operations(
                  `${name}-operations`,
                  {
                      alarms: {
                          nodes: plan.nodes.map((node, i) => ({ name: node.name, instanceId: nodes[i].instanceId })),
                          loadBalancerArnSuffix: loadBalancer.arnSuffix,
                          targetGroups: loadBalancer.targetGroups.map((g) => ({ key: g.key, arnSuffix: g.arnSuffix })),
                          database: { identifier: database.identifier, allocatedStorageGb: config.database.allocatedStorageGb, maxConnections },
                          fileSystem: { id: fileSystem.fileSystemId, throughputMode: THROUGHPUT_MODE },
                          nodeMetricsNamespace: nodeMetricsNamespace(nodeLogGroupName(stack)),
                          ...(this.gateways && config.gateways.enabled
                              ? {
                                    gateways: {
                                        autoScalingGroupName: this.gateways.autoScalingGroupName,
                                        minSize: config.gateways.minSize,
                                        maxSize: config.gateways.maxSize,
                                        targetGroupKeys: GATEWAY_TARGET_GROUP_KEYS,
                                    },
                                }
                              : {}),
                      },
                      // Alarms start judging once every node (and gateway) serves, not while they boot.
                      armAfter: [this.nodesHealthy, ...(this.gateways ? [this.gateways.healthGate] : [])],
                      kmsKeyArn: key.keyArn,
                      alarmEmail: config.alarms.email,
                      region,
                      logGroupName: identity.logGroupName,
                      label: `${pulumi.getProject()}-${stack}`,
                  },
                  opt,
              )
            : undefined;

        const urls = clusterUrls(plan.hostNames);
        this.outputs = {
            portalUrl: pulumi.output(urls.portalUrl),
            publisherUrl: pulumi.output(urls.publisherUrl),
            devportalUrl: pulumi.output(urls.devportalUrl),
            adminUrl: pulumi.output(urls.adminUrl),
            carbonUrl: pulumi.output(urls.carbonUrl),
            gatewayUrl: pulumi.output(urls.gatewayUrl),
            loadBalancerDnsName: loadBalancer.dnsName,
            nodeInstanceIds: pulumi.all(nodes.map((n) => n.instanceId)),
            databaseEndpoint: database.address,
            fileSystemId: fileSystem.fileSystemId,
            secretArn: secrets.secretArn,
            ...(operations ? { alarmTopicArn: operations.topicArn, dashboardUrl: operations.dashboardUrl } : {}),
            ...(this.gateways ? { gatewayAutoScalingGroupName: this.gateways.autoScalingGroupName } : {}),
        };
        this.registerOutputs({ ...this.outputs });
    }
}

/** The provider's default tags (aws:defaultTags): the provider puts them on neither an Auto Scaling group nor the instances it launches. */
function providerDefaultTags(): Record<string, string> {
    return new pulumi.Config("aws").getObject<{ tags?: Record<string, string> }>("defaultTags")?.tags ?? {};
}

/** The pinned AMI, or the latest Amazon Linux 2023 for the instance type's architecture (then drift is ignored). */
function nodeAmi(config: StackConfig, opts: pulumi.InvokeOutputOptions): { id: pulumi.Input<string>; lookedUp: boolean } {
    if (config.nodes.amiId) return { id: config.nodes.amiId, lookedUp: false };
    const architecture = amiArchitectureFor(config.nodes.instanceType);
    const image = aws.ec2.getAmiOutput(
        {
            owners: ["amazon"],
            mostRecent: true,
            filters: [
                { name: "name", values: [al2023AmiNamePattern(architecture)] },
                { name: "architecture", values: [architecture] },
                { name: "virtualization-type", values: ["hvm"] },
            ],
        },
        opts,
    );
    return { id: image.id, lookedUp: true };
}

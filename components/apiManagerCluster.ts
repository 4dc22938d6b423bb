import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StackConfig } from "../lib/config/stackConfig";
import { planCluster } from "../lib/plan/clusterPlan";
import { maxConnectionsFor, DB_POOL_MAX_ACTIVE, databaseIdentifier, databaseLogGroupName } from "../lib/plan/databaseParameters";
import { al2023AmiNamePattern, amiArchitectureFor } from "../lib/node/nodeAmi";
import { nodeLogGroupName } from "../lib/aws/nodeLogGroup";
import { flowLogGroupName, stackLogGroupPattern } from "../lib/aws/stackLogGroups";
import { clusterUrls } from "../lib/plan/clusterUrls";
import { StackKey } from "./stackKey";
import { Network } from "./network";
import { SecurityGroups } from "./securityGroups";
import { VpcEndpoints } from "./vpcEndpoints";
import { ClusterSecrets } from "./clusterSecrets";
import { DatabaseTier } from "./databaseTier";
import { SharedFileSystem } from "./sharedFileSystem";
import { LoadBalancerCertificate } from "./loadBalancerCertificate";
import { LoadBalancer } from "./loadBalancer";
import { NodeIdentity } from "./nodeIdentity";
import { ApiManagerNode } from "./apiManagerNode";

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
}

/**
 * The whole WSO2 API Manager active-active deployment: network, security groups, secret, database,
 * shared file system, load balancer with its certificate, the node identity and one node per plan node,
 * rolled one at a time.
 */
export class ApiManagerCluster extends pulumi.ComponentResource {
    readonly outputs: ApiManagerClusterOutputs;
    readonly nodes: readonly ApiManagerNode[];

    constructor(name: string, args: ApiManagerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:apiManagerCluster:ApiManagerCluster", name, {}, opts);
        const { config } = args;
        const plan = planCluster(config);
        const opt = { parent: this };
        const region = aws.getRegionOutput({}, opt).region;
        const stack = args.stackName ?? pulumi.getStack();
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
            { vpcId: network.vpcId, allowedClientCidrs: config.allowedClientCidrs, vpcEndpoints: config.vpcEndpoints },
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
                kmsKeyArn: key.keyArn,
                analyticsAuthToken: config.analytics.enabled ? config.analytics.authToken : undefined,
                recoveryWindowInDays: config.deletionProtection ? 30 : 7,
            },
            opt,
        );

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
                maxConnections: maxConnectionsFor(config.nodes.count, DB_POOL_MAX_ACTIVE),
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
                accessLogs: config.loadBalancerAccessLogs,
                publicZoneId,
            },
            opt,
        );

        const identity = new NodeIdentity(
            `${name}-node-identity`,
            {
                secretArn: secrets.secretArn,
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
                        region,
                        logGroupName: identity.logGroupName,
                        targetGroups: loadBalancer.targetGroups,
                        privateZoneId: network.privateZoneId,
                        previousNodeGate: nodes.length > 0 ? nodes[nodes.length - 1].healthGate : undefined,
                        // Routes, mount targets, the secret's value, the role policy and any VPC endpoints exist
                        // before a node boots; the database deliberately not (the boot script waits for it).
                        bootDependencies: [network, fileSystem, secrets, identity, ...(endpoints ? [endpoints] : [])],
                    },
                    opt,
                ),
            );
        }
        this.nodes = nodes;

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
        };
        this.registerOutputs({ ...this.outputs });
    }
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

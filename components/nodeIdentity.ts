import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { ec2AssumeRolePolicy, nodeRolePolicy } from "../lib/aws/nodeRolePolicy";
import { nodeMetricsNamespace } from "../lib/node/logShipping";

export interface NodeIdentityArgs {
    /** The one secret the role may read: the stack secret (nodes) or the gateways' own. */
    readonly secretArn: pulumi.Input<string>;
    /** The stack key: it encrypts the secret (the nodes may decrypt only through Secrets Manager) and the node log group. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * The shared artifact file system and the access point the nodes must mount it through. Both or
     * neither: without them the role may mount nothing (the Universal Gateways').
     */
    readonly fileSystemArn?: pulumi.Input<string>;
    readonly accessPointArn?: pulumi.Input<string>;
    /** The boot artifacts bucket and the prefix of the boot scripts in it: the nodes may read only those objects. */
    readonly bootArtifactsBucketArn: pulumi.Input<string>;
    readonly bootObjectPrefix: string;
    /** Region of the secret and the bucket (for the kms:ViaService conditions). */
    readonly region: pulumi.Input<string>;
    /** Name of the nodes' CloudWatch log group, created here (lib/aws/nodeLogGroup.ts names it per stack). */
    readonly logGroupName: string;
    /** Retention of that log group in days (a value CloudWatch accepts). */
    readonly logRetentionDays: number;
    /** The role's description. Default "WSO2 API Manager nodes". */
    readonly description?: string;
}

/**
 * What the nodes are allowed to do: Session Manager (the AWS-managed SSM policy, so no SSH is ever
 * opened), read the stack secret and their boot script, mount the shared file system through its access
 * point, write their logs and publish their metrics. The Universal Gateways get one of their own, without
 * the file system.
 */
export class NodeIdentity extends pulumi.ComponentResource {
    readonly roleName: pulumi.Output<string>;
    readonly roleArn: pulumi.Output<string>;
    readonly instanceProfileName: pulumi.Output<string>;
    readonly logGroupName: pulumi.Output<string>;
    readonly logGroupArn: pulumi.Output<string>;
    /** The role's own policy (secret, boot script, file system, logs): a node starting before it exists cannot fetch its boot script. */
    readonly rolePolicy: pulumi.Resource;

    constructor(name: string, args: NodeIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        if ((args.fileSystemArn === undefined) !== (args.accessPointArn === undefined)) {
            throw new Error(`NodeIdentity ${name}: fileSystemArn and accessPointArn go together (give both, or neither for a role that mounts nothing)`);
        }
        super("wso2-apim-ha:nodeIdentity:NodeIdentity", name, {}, opts);
        const opt = { parent: this };

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: args.logGroupName, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
            opt,
        );

        const role = new aws.iam.Role(
            `${name}-role`,
            { description: args.description ?? "WSO2 API Manager nodes", assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy()) },
            opt,
        );
        const partition = aws.getPartitionOutput({}, opt).partition;
        new aws.iam.RolePolicyAttachment(
            `${name}-ssm`,
            { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
            opt,
        );
        this.rolePolicy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([args.secretArn, args.kmsKeyArn, args.fileSystemArn, args.accessPointArn, logGroup.arn, args.region, args.bootArtifactsBucketArn])
                    .apply(([secretArn, kmsKeyArn, fileSystemArn, accessPointArn, logGroupArn, region, bootArtifactsBucketArn]) =>
                        JSON.stringify(
                            nodeRolePolicy({
                                secretArn,
                                kmsKeyArn,
                                fileSystemArn,
                                accessPointArn,
                                logGroupArn,
                                region,
                                metricsNamespace: nodeMetricsNamespace(args.logGroupName),
                                bootArtifactsBucketArn,
                                bootObjectPrefix: args.bootObjectPrefix,
                            }),
                        ),
                    ),
            },
            opt,
        );
        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, opt);

        this.roleName = role.name;
        this.roleArn = role.arn;
        this.instanceProfileName = profile.name;
        this.logGroupName = logGroup.name;
        this.logGroupArn = logGroup.arn;
        this.registerOutputs({
            roleName: this.roleName,
            roleArn: this.roleArn,
            instanceProfileName: this.instanceProfileName,
            logGroupName: this.logGroupName,
            logGroupArn: this.logGroupArn,
        });
    }
}

/**
 * The nodes' own IAM permissions, beyond the AWS-managed SSM policy: read this stack's secret and its
 * boot scripts, mount this stack's file system through its access point, write to this stack's node log
 * group and metrics namespace. Nothing else, and no wildcard action; the one wildcard resource is
 * PutMetricData's (below). The Universal Gateways get the same document without a file system (they
 * mount none), naming their own secret (no database password), log group and namespace.
 */

export interface NodeRolePolicyArns {
    readonly secretArn: string;
    readonly kmsKeyArn: string;
    /** The shared file system and its access point; undefined for machines that mount none (the gateways). */
    readonly fileSystemArn?: string;
    readonly accessPointArn?: string;
    readonly logGroupArn: string;
    readonly region: string;
    /** CloudWatch namespace of the nodes' agent metrics (lib/node/logShipping.ts nodeMetricsNamespace). */
    readonly metricsNamespace: string;
    /** The boot artifacts bucket and the key prefix the boot scripts live under (lib/node/bootScript.ts). */
    readonly bootArtifactsBucketArn: string;
    readonly bootObjectPrefix: string;
}

export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: string[];
    readonly Resource: string[];
    readonly Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

export function nodeRolePolicy(arns: NodeRolePolicyArns): PolicyDocument {
    if ((arns.fileSystemArn === undefined) !== (arns.accessPointArn === undefined)) {
        throw new Error("nodeRolePolicy: give the file system and its access point together, or neither");
    }
    // CloudWatch log group ARNs come without the trailing ":*"; streams live under ":log-stream:".
    const logGroupArn = arns.logGroupArn.replace(/:\*$/, "");
    const mount: PolicyStatement[] =
        arns.fileSystemArn !== undefined && arns.accessPointArn !== undefined
            ? [
                  {
                      Sid: "MountSharedArtifactsThroughAccessPoint",
                      Effect: "Allow",
                      Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                      Resource: [arns.fileSystemArn],
                      Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": arns.accessPointArn } },
                  },
              ]
            : [];
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadStackSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [arns.secretArn] },
            {
                Sid: "DecryptStackSecret",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: [arns.kmsKeyArn],
                // Only on behalf of Secrets Manager: the key is not usable directly.
                Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${arns.region}.amazonaws.com` } },
            },
            // The boot loader's download: the objects under the prefix only, not the bucket's listing.
            { Sid: "ReadBootScripts", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${arns.bootArtifactsBucketArn}/${arns.bootObjectPrefix}*`] },
            {
                Sid: "DecryptBootScripts",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: [arns.kmsKeyArn],
                // Only on behalf of S3, for the objects it serves under the stack key.
                Condition: { StringEquals: { "kms:ViaService": `s3.${arns.region}.amazonaws.com` } },
            },
            ...mount,
            {
                Sid: "WriteNodeLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
            },
            {
                Sid: "PublishNodeMetrics",
                Effect: "Allow",
                Action: ["cloudwatch:PutMetricData"],
                // Justified exception to "no wildcard resource": PutMetricData has no resource type, so IAM
                // accepts only "*" here. The namespace condition confines it to this stack's namespace.
                Resource: ["*"],
                Condition: { StringEquals: { "cloudwatch:namespace": arns.metricsNamespace } },
            },
        ],
    };
}

/** The EC2 trust policy of the node role. */
export function ec2AssumeRolePolicy(): object {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    };
}

/**
 * Key policy of the stack's one customer-managed KMS key. Written out (not left to AWS's default, which
 * hands every cryptographic use to IAM) so that the key itself says who may use it (CKV2_AWS_64):
 * - this account administers the key, without any cryptographic use of its own;
 * - this account's principals use it only through the services that store the stack's data with it
 *   (Secrets Manager, RDS including Performance Insights, EFS, EC2 for the nodes' root volumes, S3 for the
 *   boot artifacts). Those services act with the caller's
 *   credentials and grants, so the condition names the service (kms:ViaService) and the account
 *   (kms:CallerAccount); the caller's IAM policy must allow it too (the node role: decrypt through Secrets Manager and S3 only);
 * - CloudWatch Logs encrypts only this stack's log groups: its service principal, with the log group ARN
 *   it puts into the encryption context matched against the stack's log group names;
 * - with alarms on, CloudWatch (alarms of this account only) may make and read data keys, or SNS drops every
 *   notification to the encrypted alarm topic without a word.
 */

export interface StackKeyPolicyParams {
    readonly accountId: string;
    readonly partition: string;
    readonly region: string;
    /** Log group names CloudWatch Logs may encrypt with the key; `*` matches any characters. At least one. */
    readonly logGroupNamePatterns: readonly string[];
    /** The stack's alarm topic is encrypted with the key: CloudWatch alarms of this account may publish to it. */
    readonly alarmTopic?: boolean;
}

export interface KeyPolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly AWS: string } | { readonly Service: string };
    readonly Action: readonly string[];
    readonly Resource: "*";
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface KeyPolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly KeyPolicyStatement[];
}

/** Services that keep the stack's data under the key on behalf of a caller in this account (ec2: the nodes' root volumes; sns: the alarm topic; s3: the boot artifacts). */
export const KEY_USING_SERVICES = ["secretsmanager", "rds", "elasticfilesystem", "ec2", "sns", "s3"] as const;

/** Managing the key (policy, rotation, tags, deletion) but no encrypt or decrypt: AWS's key-administrator set. */
export const KEY_ADMINISTRATION_ACTIONS = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*",
    "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
] as const;

/** What Secrets Manager, RDS, EFS and S3 need: data keys, decryption, and grants for their own background work. */
export const SERVICE_USE_ACTIONS = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:ListGrants", "kms:DescribeKey",
] as const;

/** What CloudWatch Logs needs to encrypt and read back a log group. */
export const LOGS_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"] as const;

const LOG_GROUP_NAME_PATTERN = /^[A-Za-z0-9_\-/.#*]{1,512}$/;

/** Throws unless every pattern is a log group name (wildcards allowed) narrower than "any log group". */
export function checkLogGroupNamePatterns(patterns: readonly string[]): void {
    if (patterns.length === 0) throw new Error("at least one log group name pattern is required");
    const bad = patterns.filter((p) => !LOG_GROUP_NAME_PATTERN.test(p) || /^[*/]*$/.test(p));
    if (bad.length > 0) throw new Error(`not log group names of one stack: ${bad.map((p) => JSON.stringify(p)).join(", ")}`);
}

export function stackKeyPolicy(params: StackKeyPolicyParams): KeyPolicyDocument {
    const { accountId, partition, region } = params;
    checkLogGroupNamePatterns(params.logGroupNamePatterns);
    const account = `arn:${partition}:iam::${accountId}:root`;
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersKey", Effect: "Allow", Principal: { AWS: account }, Action: [...KEY_ADMINISTRATION_ACTIONS], Resource: "*" },
            {
                Sid: "AccountUsesKeyOnlyThroughStackServices",
                Effect: "Allow",
                Principal: { AWS: account },
                Action: [...SERVICE_USE_ACTIONS],
                Resource: "*",
                Condition: {
                    StringEquals: {
                        "kms:CallerAccount": accountId,
                        "kms:ViaService": KEY_USING_SERVICES.map((service) => `${service}.${region}.amazonaws.com`),
                    },
                },
            },
            {
                Sid: "CloudWatchLogsEncryptsStackLogGroups",
                Effect: "Allow",
                Principal: { Service: `logs.${region}.amazonaws.com` },
                Action: [...LOGS_ACTIONS],
                Resource: "*",
                Condition: {
                    ArnLike: {
                        "kms:EncryptionContext:aws:logs:arn": params.logGroupNamePatterns.map(
                            (name) => `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`,
                        ),
                    },
                },
            },
            ...(params.alarmTopic
                ? [
                      {
                          Sid: "CloudWatchAlarmsPublishToEncryptedAlarmTopic",
                          Effect: "Allow" as const,
                          Principal: { Service: "cloudwatch.amazonaws.com" },
                          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                          Resource: "*" as const,
                          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                      },
                  ]
                : []),
        ],
    };
}

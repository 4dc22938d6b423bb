/**
 * Key policy of the KMS key that encrypts the stack secret. Written out (rather than left to the AWS
 * default) so scanners see a defined policy (CKV2_AWS_64); like the default it delegates to IAM, and the
 * node role's own policy grants kms:Decrypt through Secrets Manager only.
 */
export function secretKeyPolicy(accountId: string, partition: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersKeyThroughIam",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            alarmTopicKeyStatement(accountId),
        ],
    };
}

/**
 * The stack's alarm topic is encrypted with this key, and SNS needs the publisher's right to use it:
 * CloudWatch alarms of this account (only) may generate and decrypt data keys. Without it every alarm
 * notification is dropped silently.
 */
export function alarmTopicKeyStatement(accountId: string): object {
    return {
        Sid: "CloudWatchAlarmsPublishToEncryptedAlarmTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    };
}

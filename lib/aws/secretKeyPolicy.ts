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
        ],
    };
}

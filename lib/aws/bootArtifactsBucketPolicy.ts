/**
 * Bucket policy of the boot artifacts bucket. Who may read is the readers' IAM policies' business (the
 * node role: lib/aws/nodeRolePolicy.ts); the bucket itself refuses any request without TLS.
 */
export function bootArtifactsBucketPolicy(bucketArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyPlainHttp",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

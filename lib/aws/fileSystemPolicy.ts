/**
 * Resource policy of the shared file system: TLS always, and clients of this account may mount and
 * write only through the access point (which pins the POSIX owner). Identity policies must still grant
 * elasticfilesystem:ClientMount/ClientWrite, and clients must mount with the `iam` option.
 */
export function fileSystemPolicy(args: { fileSystemArn: string; accessPointArn: string; accountId: string; partition: string }): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyWithoutTls",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "*",
                Resource: args.fileSystemArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "MountThroughAccessPointOnly",
                Effect: "Allow",
                Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
                Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                Resource: args.fileSystemArn,
                Condition: {
                    Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" },
                    StringEquals: { "elasticfilesystem:AccessPointArn": args.accessPointArn },
                },
            },
        ],
    };
}

import type { PolicyDocument } from "./nodeRolePolicy";

/**
 * Bucket policy for ALB access logs: the regional ELB account (regions from before August 2022; undefined
 * where the region has none) and the log-delivery service principal (newer regions) may write under the
 * prefix; nobody may use plain HTTP.
 */
export function accessLogBucketPolicy(args: {
    readonly bucketArn: string;
    readonly prefix: string;
    readonly accountId: string;
    readonly elbAccountArn?: string;
}): object {
    const logObjects = `${args.bucketArn}/${args.prefix}/AWSLogs/${args.accountId}/*`;
    const document: Omit<PolicyDocument, "Statement"> & { Statement: object[] } = {
        Version: "2012-10-17",
        Statement: [
            ...(args.elbAccountArn
                ? [{ Sid: "RegionalElbAccountWritesLogs", Effect: "Allow", Principal: { AWS: args.elbAccountArn }, Action: "s3:PutObject", Resource: logObjects }]
                : []),
            {
                Sid: "LogDeliveryServiceWritesLogs",
                Effect: "Allow",
                Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: logObjects,
            },
            {
                Sid: "DenyPlainHttp",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [args.bucketArn, `${args.bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
    return document;
}

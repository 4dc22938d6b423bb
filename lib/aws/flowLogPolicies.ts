/** IAM documents that let the VPC flow-log service write to one log group and nothing else. */

export function flowLogAssumeRolePolicy(accountId: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                // Confused-deputy guard: only flow logs of this account may use the role.
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    };
}

export function flowLogDeliveryPolicy(logGroupArn: string): object {
    // A log group ARN from the API may or may not end in ":*"; streams live under "<group>:*".
    const group = logGroupArn.replace(/:\*$/, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DeliverFlowLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [group, `${group}:*`],
            },
        ],
    };
}

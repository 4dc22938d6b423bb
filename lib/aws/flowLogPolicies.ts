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
    // DescribeLogGroups lists groups and takes no single group's ARN: the narrowest resource AWS accepts
    // is every group of the account and region.
    const everyGroup = group.replace(/:log-group:.*$/, ":log-group:*");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DeliverFlowLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [group, `${group}:*`],
            },
            // AWS's documented role for flow logs to CloudWatch Logs has it; the service checks its group with it.
            { Sid: "FindLogGroup", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: [everyGroup] },
        ],
    };
}

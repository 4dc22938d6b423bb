import { nodeRolePolicy } from "../../lib/aws/nodeRolePolicy";

const arns = {
    secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wso2-AbCdEf",
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1111",
    fileSystemArn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1",
    accessPointArn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-1",
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/nodes:*",
    region: "eu-west-1",
    metricsNamespace: "wso2-apim-ha/dev/nodes",
};
const policy = nodeRolePolicy(arns);
const statementWith = (action: string) => policy.Statement.find((s) => s.Action.includes(action))!;

it("has no wildcard action, and no wildcard resource except PutMetricData's, which a namespace condition confines", () => {
    for (const s of policy.Statement) {
        expect(s.Effect).toBe("Allow");
        expect(s.Action.filter((a) => a.includes("*"))).toEqual([]);
        if (s.Action.includes("cloudwatch:PutMetricData")) continue;
        expect(s.Resource).not.toContain("*");
    }
});

it("publishes metrics only into the stack's own namespace, and nothing else under that statement", () => {
    expect(statementWith("cloudwatch:PutMetricData")).toMatchObject({
        Action: ["cloudwatch:PutMetricData"],
        Resource: ["*"],
        Condition: { StringEquals: { "cloudwatch:namespace": "wso2-apim-ha/dev/nodes" } },
    });
});

it("decrypts with the stack key only on behalf of Secrets Manager in the stack's region", () => {
    expect(statementWith("kms:Decrypt")).toMatchObject({
        Resource: [arns.kmsKeyArn],
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
    });
});

it("mounts the file system only through the access point", () => {
    expect(statementWith("elasticfilesystem:ClientMount")).toMatchObject({
        Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        Resource: [arns.fileSystemArn],
        Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": arns.accessPointArn } },
    });
});

it("writes only to streams of the node log group, whether or not its ARN carries the :* suffix", () => {
    const group = "arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/nodes";
    expect(statementWith("logs:PutLogEvents").Resource).toEqual([group, `${group}:log-stream:*`]);
    expect(nodeRolePolicy({ ...arns, logGroupArn: group }).Statement).toEqual(policy.Statement);
});

import { nodeRolePolicy } from "../../lib/aws/nodeRolePolicy";

const arns = {
    secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wso2-AbCdEf",
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1111",
    fileSystemArn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1",
    accessPointArn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-1",
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/nodes:*",
    region: "eu-west-1",
    metricsNamespace: "wso2-apim-ha/dev/nodes",
    bootArtifactsBucketArn: "arn:aws:s3:::wso2-boot-bucket-5f0c1e2a",
    bootObjectPrefix: "boot/",
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

it("decrypts with the stack key only on behalf of Secrets Manager and S3 in the stack's region", () => {
    const decrypts = policy.Statement.filter((s) => s.Action.includes("kms:Decrypt"));
    for (const s of decrypts) expect(s).toMatchObject({ Action: ["kms:Decrypt"], Resource: [arns.kmsKeyArn] });
    expect(decrypts.map((s) => s.Condition)).toEqual([
        { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
        { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    ]);
});

it("reads only the boot scripts' objects: no other key of the bucket, no listing, no writing", () => {
    const reads = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith("s3:")));
    expect(reads).toEqual([{ Sid: "ReadBootScripts", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::wso2-boot-bucket-5f0c1e2a/boot/*"] }]);
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

it("gives a role that mounts nothing (the gateways') the same document without the file-system statement", () => {
    const { fileSystemArn: _fs, accessPointArn: _ap, ...withoutFileSystem } = arns;
    const gateways = nodeRolePolicy({ ...withoutFileSystem, logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/gateways", metricsNamespace: "wso2-apim-ha/dev/gateways" });
    expect(gateways.Statement.flatMap((s) => s.Action).filter((a) => a.startsWith("elasticfilesystem:"))).toEqual([]);
    expect(gateways.Statement.map((s) => s.Sid)).toEqual(policy.Statement.map((s) => s.Sid).filter((sid) => sid !== "MountSharedArtifactsThroughAccessPoint"));
    expect(() => nodeRolePolicy({ ...withoutFileSystem, fileSystemArn: arns.fileSystemArn })).toThrow(/together, or neither/);
});

it("reads only the secret it is given: the gateways' own, which holds no database password, for theirs", () => {
    const gatewaySecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wso2-gateways-GhIjKl";
    const gateways = nodeRolePolicy({ ...arns, fileSystemArn: undefined, accessPointArn: undefined, secretArn: gatewaySecret });
    expect(gateways.Statement.filter((s) => s.Action.some((a) => a.startsWith("secretsmanager:")))).toEqual([
        { Sid: "ReadStackSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [gatewaySecret] },
    ]);
    expect(JSON.stringify(gateways)).not.toContain(arns.secretArn);
});

import { accessLogBucketPolicy } from "../../lib/aws/accessLogBucketPolicy";

const base = { bucketArn: "arn:aws:s3:::logs-1", prefix: "alb", accountId: "123456789012" };

it("lets ALB log delivery write only under the account's log prefix, by both ELB principals", () => {
    const policy = accessLogBucketPolicy({ ...base, elbAccountArn: "arn:aws:iam::156460612806:root" }) as any;
    const allows = policy.Statement.filter((s: any) => s.Effect === "Allow");
    expect(allows.map((s: any) => s.Principal)).toEqual([{ AWS: "arn:aws:iam::156460612806:root" }, { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }]);
    for (const s of allows) expect(s).toMatchObject({ Action: "s3:PutObject", Resource: "arn:aws:s3:::logs-1/alb/AWSLogs/123456789012/*" });
});

it("relies on the service principal alone in regions without an ELB account", () => {
    const policy = accessLogBucketPolicy(base) as any;
    expect(policy.Statement.filter((s: any) => s.Effect === "Allow").map((s: any) => s.Principal)).toEqual([{ Service: "logdelivery.elasticloadbalancing.amazonaws.com" }]);
});

it("denies every request not made over TLS", () => {
    const deny = (accessLogBucketPolicy(base) as any).Statement.find((s: any) => s.Effect === "Deny");
    expect(deny).toMatchObject({ Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(deny.Resource).toEqual(["arn:aws:s3:::logs-1", "arn:aws:s3:::logs-1/*"]);
});

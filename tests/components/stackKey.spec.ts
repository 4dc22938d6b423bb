import { installOfflineMocks, OFFLINE_ACCOUNT, OFFLINE_REGION, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { KeyPolicyDocument, stackKeyPolicy } from "../../lib/aws/stackKeyPolicy";
import { one, resolve, settle, tree } from "../support/componentRun";
import type { StackKey as StackKeyClass } from "../../components/stackKey";

const T = { key: "aws:kms/key:Key", alias: "aws:kms/alias:Alias" };
const PATTERNS = ["/wso2-apim-ha/dev/*", "/aws/rds/instance/wso2-apim-ha-dev-wso2-db/*"];
const ACCOUNT_ROOT = `arn:aws:iam::${OFFLINE_ACCOUNT}:root`;

let run: OfflineRun;
let resources: RecordedResource[];
let keyArn: string;
let policy: KeyPolicyDocument;

beforeAll(async () => {
    run = installOfflineMocks();
    const { StackKey } = require("../../components/stackKey") as { StackKey: typeof StackKeyClass };
    const key = new StackKey("kms", { logGroupNamePatterns: PATTERNS });
    keyArn = await resolve(key.keyArn);
    await settle();
    resources = tree(run, "kms");
    policy = JSON.parse(one(resources, T.key).inputs.policy);
});

/** A KMS request as the key policy sees it. */
interface Request {
    readonly principal: { AWS: string } | { Service: string };
    readonly action: string;
    readonly context?: Readonly<Record<string, string>>;
}

const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`);

/**
 * Whether some Allow statement of the key policy matches the request (the key policy alone; for the
 * account principal IAM must also allow). Only the operators this policy uses are understood.
 */
function allows(doc: KeyPolicyDocument, request: Request): boolean {
    return doc.Statement.some((s) => {
        const principalMatches = JSON.stringify(s.Principal) === JSON.stringify(request.principal);
        const actionMatches = s.Action.some((a) => glob(a).test(request.action));
        const conditionsHold = Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
            Object.entries(keys).every(([key, expected]) => {
                const actual = request.context?.[key];
                if (actual === undefined) return false;
                const values = [expected].flat();
                if (operator === "StringEquals") return values.includes(actual);
                if (operator === "ArnLike") return values.some((v) => glob(v).test(actual));
                throw new Error(`operator ${operator} not understood by this test`);
            }),
        );
        return s.Effect === "Allow" && principalMatches && actionMatches && conditionsHold;
    });
}

const account = { AWS: ACCOUNT_ROOT };
const via = (service: string) => ({ "kms:ViaService": `${service}.${OFFLINE_REGION}.amazonaws.com`, "kms:CallerAccount": OFFLINE_ACCOUNT });
const logGroupContext = (name: string) => ({ "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${OFFLINE_REGION}:${OFFLINE_ACCOUNT}:log-group:${name}` });

test("one key, rotated, with a 30-day deletion window and an alias for people", () => {
    const key = one(resources, T.key);
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(key.inputs.description).toMatch(/secret, file system, database, volumes, logs/);
    expect(keyArn).toBe(key.outputs.arn);
    expect(one(resources, T.alias).inputs).toMatchObject({ targetKeyId: keyArn, namePrefix: expect.stringMatching(/^alias\//) });
});

test("the account administers the key but cannot encrypt or decrypt with it directly", () => {
    expect(allows(policy, { principal: account, action: "kms:PutKeyPolicy" })).toBe(true);
    expect(allows(policy, { principal: account, action: "kms:ScheduleKeyDeletion" })).toBe(true);
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"]) {
        expect(allows(policy, { principal: account, action })).toBe(false);
    }
});

test("the account uses the key through Secrets Manager, RDS, EFS, EC2 (volumes) and S3 (boot artifacts) in this region only", () => {
    for (const service of ["secretsmanager", "rds", "elasticfilesystem", "ec2", "s3"]) {
        expect(allows(policy, { principal: account, action: "kms:Decrypt", context: via(service) })).toBe(true);
        expect(allows(policy, { principal: account, action: "kms:CreateGrant", context: via(service) })).toBe(true);
    }
    for (const service of ["dynamodb", "lambda", "sqs"]) {
        expect(allows(policy, { principal: account, action: "kms:Decrypt", context: via(service) })).toBe(false);
    }
    const s3OtherRegion = { ...via("s3"), "kms:ViaService": "s3.us-east-1.amazonaws.com" };
    expect(allows(policy, { principal: account, action: "kms:Decrypt", context: s3OtherRegion })).toBe(false);
    const otherRegion = { ...via("secretsmanager"), "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" };
    expect(allows(policy, { principal: account, action: "kms:Decrypt", context: otherRegion })).toBe(false);
    const otherAccount = { ...via("secretsmanager"), "kms:CallerAccount": "210987654321" };
    expect(allows(policy, { principal: account, action: "kms:Decrypt", context: otherAccount })).toBe(false);
});

test("CloudWatch Logs of this region encrypts the stack's log groups and no other", () => {
    const logs = { Service: `logs.${OFFLINE_REGION}.amazonaws.com` };
    for (const name of ["/wso2-apim-ha/dev/nodes", "/wso2-apim-ha/dev/vpc-flow-logs", "/aws/rds/instance/wso2-apim-ha-dev-wso2-db/error"]) {
        expect(allows(policy, { principal: logs, action: "kms:GenerateDataKey", context: logGroupContext(name) })).toBe(true);
    }
    for (const name of ["/wso2-apim-ha/prod/nodes", "/aws/rds/instance/someone-else/error", "/aws/lambda/x"]) {
        expect(allows(policy, { principal: logs, action: "kms:GenerateDataKey", context: logGroupContext(name) })).toBe(false);
    }
    expect(allows(policy, { principal: { Service: "logs.us-east-1.amazonaws.com" }, action: "kms:Decrypt", context: logGroupContext("/wso2-apim-ha/dev/nodes") })).toBe(false);
});

test("no statement names a wildcard principal, and every cryptographic grant carries a condition", () => {
    for (const s of policy.Statement) {
        expect(Object.values(s.Principal)).not.toContain("*");
        const crypto = s.Action.some((a) => /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/.test(a));
        if (crypto) expect(Object.keys(s.Condition ?? {}).length).toBeGreaterThan(0);
    }
});

test("log group patterns that would cover any log group are refused before anything is created", () => {
    const { StackKey } = require("../../components/stackKey") as { StackKey: typeof StackKeyClass };
    expect(() => new StackKey("empty", { logGroupNamePatterns: [] })).toThrow(/StackKey: logGroupNamePatterns: at least one/);
    expect(() => new StackKey("everything", { logGroupNamePatterns: ["*"] })).toThrow(/"\*"/);
    expect(() => stackKeyPolicy({ accountId: OFFLINE_ACCOUNT, partition: "aws", region: OFFLINE_REGION, logGroupNamePatterns: ["/*"] })).toThrow(/"\/\*"/);
    expect(() => stackKeyPolicy({ accountId: OFFLINE_ACCOUNT, partition: "aws", region: OFFLINE_REGION, logGroupNamePatterns: ["bad name"] })).toThrow(/bad name/);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});

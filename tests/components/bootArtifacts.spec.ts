import { installOfflineMocks, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { bootScriptArtifact, sha256Hex } from "../../lib/node/bootScript";
import { one, resolve, settle, tree } from "../support/componentRun";
import type { BootArtifacts as BootArtifactsClass } from "../../components/bootArtifacts";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
};
const STACK_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-stack-key";
const INSTALL_PATH = "/usr/local/sbin/wso2am-bootstrap";
const script = bootScriptArtifact(INSTALL_PATH);

let run: OfflineRun;
let resources: RecordedResource[];
let boot: BootArtifactsClass;
let location: { bucket: string; key: string; bucketName: string; bucketArn: string };

beforeAll(async () => {
    run = installOfflineMocks();
    const { BootArtifacts } = require("../../components/bootArtifacts") as { BootArtifacts: typeof BootArtifactsClass };
    boot = new BootArtifacts("boot", { bootScript: script, kmsKeyArn: STACK_KEY_ARN });
    const [bucket, key, bucketName, bucketArn] = await Promise.all([resolve(boot.bootScript.bucket), resolve(boot.bootScript.key), resolve(boot.bucketName), resolve(boot.bucketArn)]);
    location = { bucket, key, bucketName, bucketArn };
    await settle();
    resources = tree(run, "boot");
});

const about = (type: string) => one(resources, type);

test("a private bucket: every public access blocked, ACLs off (bucket owner enforced)", () => {
    for (const type of [T.publicAccess, T.ownership, T.versioning, T.encryption, T.lifecycle, T.policy, T.object]) {
        expect([type, about(type).inputs.bucket]).toEqual([type, location.bucketName]);
    }
    expect(about(T.publicAccess).inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(about(T.ownership).inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
});

test("refuses every request without TLS, to the bucket and its objects, and grants nothing itself", () => {
    const policy = JSON.parse(about(T.policy).inputs.policy);
    expect(policy.Statement).toEqual([
        {
            Sid: "DenyPlainHttp",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [location.bucketArn, `${location.bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ]);
    // S3 rejects a policy while the public access block is still being applied
    expect(about(T.policy).dependsOn).toContain(one(resources, T.publicAccess).name);
});

test("versioned, under the stack key with a bucket key, and keeps replaced versions 30 days", () => {
    expect(about(T.versioning).inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    expect(about(T.encryption).inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: STACK_KEY_ARN }, bucketKeyEnabled: true }]);
    const [rule] = about(T.lifecycle).inputs.rules;
    expect(rule).toMatchObject({ status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 }, expiration: { expiredObjectDeleteMarker: true } });
    expect(about(T.lifecycle).dependsOn).toContain(one(resources, T.versioning).name);
});

test("stores the boot script at a key named by its SHA-256, under the stack key, once encryption and versioning are on", () => {
    const object = about(T.object);
    expect(object.inputs.key).toBe(`boot/${script.sha256}/wso2am-bootstrap`);
    expect(sha256Hex(object.inputs.content)).toBe(script.sha256);
    expect(object.inputs).toMatchObject({ serverSideEncryption: "aws:kms", kmsKeyId: STACK_KEY_ARN, bucketKeyEnabled: true, contentType: "text/x-shellscript" });
    expect(object.dependsOn).toEqual(expect.arrayContaining([one(resources, T.encryption).name, one(resources, T.versioning).name]));
    // what the nodes are told, from the object itself; and what they may read
    expect(location).toMatchObject({ bucket: location.bucketName, key: object.inputs.key });
    expect(boot.bootScript.sha256).toBe(script.sha256);
    expect(object.inputs.key.startsWith(boot.readablePrefix)).toBe(true);
    expect(boot.readyForNodes.length).toBe(1);
});

test("a changed script is another object, so a node still booting from the old one keeps it", () => {
    const changed = bootScriptArtifact(INSTALL_PATH, script.content + "# changed\n");
    expect(changed.key).not.toBe(script.key);
    expect(changed.key).toBe(`boot/${sha256Hex(script.content + "# changed\n")}/wso2am-bootstrap`);
});

test("creates exactly these resources, and invokes nothing the mocks do not know", () => {
    expect(resources.filter((r) => r.custom).map((r) => r.type).sort()).toEqual(Object.values(T).sort());
    expect(run.unknownCalls).toEqual([]);
});

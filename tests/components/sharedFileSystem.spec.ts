import { installOfflineMocks, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { planCluster } from "../../lib/plan/clusterPlan";
import { isProtected, one, ofType, resolve, settle, tree } from "../support/componentRun";
import { sampleConfig } from "../support/sampleConfig";
import type { SharedFileSystem as SharedFileSystemClass } from "../../components/sharedFileSystem";

const T = {
    fileSystem: "aws:efs/fileSystem:FileSystem",
    backup: "aws:efs/backupPolicy:BackupPolicy",
    mountTarget: "aws:efs/mountTarget:MountTarget",
    accessPoint: "aws:efs/accessPoint:AccessPoint",
    policy: "aws:efs/fileSystemPolicy:FileSystemPolicy",
};
const SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"];
const SG = "sg-0efs0000000000000";
const runAs = planCluster(sampleConfig()).runAs;
const STACK_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-stack-key";

interface Deployed {
    fs: SharedFileSystemClass;
    resources: RecordedResource[];
    fileSystemId: string;
    fileSystemArn: string;
    accessPointId: string;
    accessPointArn: string;
}

let run: OfflineRun;
const deployed: Record<string, Deployed> = {};

async function deploy(name: string, deletionProtection: boolean): Promise<void> {
    const { SharedFileSystem } = require("../../components/sharedFileSystem") as { SharedFileSystem: typeof SharedFileSystemClass };
    const fs = new SharedFileSystem(name, { subnetIds: SUBNETS, securityGroupId: SG, runAs: { uid: runAs.uid, gid: runAs.gid }, kmsKeyArn: STACK_KEY_ARN, deletionProtection });
    const [fileSystemId, fileSystemArn, accessPointId, accessPointArn] = await Promise.all([
        resolve(fs.fileSystemId),
        resolve(fs.fileSystemArn),
        resolve(fs.accessPointId),
        resolve(fs.accessPointArn),
    ]);
    await settle();
    deployed[name] = { fs, resources: tree(run, name), fileSystemId, fileSystemArn, accessPointId, accessPointArn };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("shared", true);
    await deploy("scratch", false);
    const aws = require("../../lib/aws/services") as typeof import("../../lib/aws/services");
    new aws.ssm.Parameter("consumer", { type: "String", value: deployed.shared.fs.accessPointId });
    await settle();
});

const d = () => deployed.shared;
const policy = () => JSON.parse(one(d().resources, T.policy).inputs.policy);

test("the file system is encrypted with the stack key, elastic, and moves cold files to IA after 30 days", () => {
    const fs = one(d().resources, T.fileSystem);
    expect(fs.inputs).toMatchObject({ encrypted: true, kmsKeyId: STACK_KEY_ARN, throughputMode: "elastic" });
    expect(fs.inputs.lifecyclePolicies).toContainEqual({ transitionToIa: "AFTER_30_DAYS" });
    expect(d().fileSystemId).toMatch(/^fs-/);
});

test("AWS Backup is enabled", () => {
    expect(one(d().resources, T.backup).inputs).toMatchObject({ fileSystemId: d().fileSystemId, backupPolicy: { status: "ENABLED" } });
});

test("one mount target per given subnet, each behind the file-system security group", () => {
    const targets = ofType(d().resources, T.mountTarget);
    expect(targets.map((t) => t.inputs.subnetId).sort()).toEqual([...SUBNETS].sort());
    for (const t of targets) expect(t.inputs).toMatchObject({ fileSystemId: d().fileSystemId, securityGroups: [SG] });
});

test("the access point runs every client as the WSO2 user and creates its root owned by it", () => {
    const ap = one(d().resources, T.accessPoint);
    expect(ap.inputs).toMatchObject({
        fileSystemId: d().fileSystemId,
        posixUser: { uid: runAs.uid, gid: runAs.gid },
        rootDirectory: { path: "/deployment-server", creationInfo: { ownerUid: runAs.uid, ownerGid: runAs.gid, permissions: "0755" } },
    });
    expect(d().accessPointId).toMatch(/^fsap-/);
});

test("anything that takes the access point id waits for every mount target and the policy", () => {
    // A node's user data takes accessPointId; the consumer stands in for it.
    const consumer = run.resources.find((r) => r.name === "consumer")!;
    expect(consumer.dependsOn).toEqual(expect.arrayContaining(["shared-access-point", "shared-policy", "shared-mount-1", "shared-mount-2", "shared-mount-3"]));
});

test("the file-system policy denies every action without TLS", () => {
    const deny = policy().Statement.filter((s: any) => s.Effect === "Deny");
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({
        Principal: { AWS: "*" },
        Action: "*",
        Resource: d().fileSystemArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
});

test("the policy allows only mount and write, only through the access point, only to this account", () => {
    const allow = policy().Statement.filter((s: any) => s.Effect === "Allow");
    expect(allow).toHaveLength(1);
    expect([allow[0].Action].flat().sort()).toEqual(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]);
    expect(allow[0].Principal.AWS).toMatch(/^arn:aws:iam::\d{12}:root$/);
    expect(allow[0].Condition.StringEquals["elasticfilesystem:AccessPointArn"]).toBe(d().accessPointArn);
});

test("the file system is Pulumi-protected exactly when deletion protection is on", () => {
    expect(isProtected(deployed.shared.fs, "shared-fs")).toBe(true);
    expect(isProtected(deployed.scratch.fs, "scratch-fs")).toBe(false);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});

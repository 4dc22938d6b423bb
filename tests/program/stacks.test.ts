import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { spawnSync } from "child_process";
import { renderStack, RenderResult } from "../../scripts/render";
import { OFFLINE_SECRET_PREFIX } from "../../lib/offline/offlineMocks";
import { ProgramModel, T, filesUnder, tempRenderDir } from "./programModel";

/** The two sample stacks rendered once each: the render contract, security settings, and how prod differs. */
const runs: Record<"dev" | "prod", { result: RenderResult; model: ProgramModel }> = {} as never;
const warnings: string[] = [];

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.join(" ")));
    for (const stack of ["dev", "prod"] as const) {
        const result = await renderStack(stack, { outDir: tempRenderDir(stack) });
        runs[stack] = { result, model: new ProgramModel(result.resources) };
    }
});

afterAll(() => jest.restoreAllMocks());

const STACKS = ["dev", "prod"] as const;
const REQUIRED_OUTPUTS = [
    "portalUrl", "publisherUrl", "devportalUrl", "adminUrl", "carbonUrl", "gatewayUrl",
    "loadBalancerDnsName", "nodeInstanceIds", "databaseEndpoint", "fileSystemId", "secretArn", "apimVersion",
];

describe.each(STACKS)("the %s render", (stack) => {
    const run = () => runs[stack];

    it("writes every file of the render contract", () => {
        const { outDir, nodes } = run().result;
        const resources = JSON.parse(fs.readFileSync(path.join(outDir, "resources.json"), "utf8"));
        expect(Array.isArray(resources)).toBe(true);
        for (const r of resources) expect(Object.keys(r).sort()).toEqual(["inputs", "name", "outputs", "parent", "type"]);
        expect(resources.map((r: { type: string }) => r.type)).toContain("wso2-apim-ha:apiManagerCluster:ApiManagerCluster");

        const outputs = JSON.parse(fs.readFileSync(path.join(outDir, "outputs.json"), "utf8"));
        expect(Object.keys(outputs).sort()).toEqual([...REQUIRED_OUTPUTS].sort());
        expect(outputs.publisherUrl).toBe(`${outputs.portalUrl}/publisher`);

        const instances = run().model.instances();
        expect(nodes.map((n) => n.index)).toEqual([1, 2]);
        for (const node of nodes) {
            const dir = path.join(outDir, "nodes", String(node.index));
            const userData = fs.readFileSync(path.join(dir, "user-data"));
            expect(userData.equals(Buffer.from(instances[node.index - 1].inputs.userDataBase64, "base64"))).toBe(true);
            expect(zlib.gunzipSync(userData).toString("utf8")).toBe(fs.readFileSync(path.join(dir, "cloud-config.yaml"), "utf8"));
            expect(node.cloudConfig.startsWith("#cloud-config\n")).toBe(true);
            expect(node.files.length).toBeGreaterThan(0);
            for (const file of node.files) {
                expect(fs.readFileSync(path.join(dir, "files", file.path.slice(1))).equals(file.content)).toBe(true);
            }
            expect(node.files.map((f) => f.path)).toContain("/etc/wso2am/deployment.toml");
        }
    });

    it("puts no generated secret into any node's user data or files, or into the outputs", () => {
        const { outDir } = run().result;
        const leaks = filesUnder(outDir)
            .filter((f) => f !== "resources.json")
            .filter((f) => {
                const bytes = fs.readFileSync(path.join(outDir, f));
                const text = f.endsWith("user-data") ? zlib.gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
                return text.includes(OFFLINE_SECRET_PREFIX);
            });
        expect(leaks).toEqual([]);
        // The secrets do exist in the program, so the check above is not vacuous.
        expect(JSON.stringify(run().result.resources)).toContain(OFFLINE_SECRET_PREFIX);
    });

    it("requires IMDSv2 and encrypts every disk, the database, the file system and the secret", () => {
        const { model } = run();
        for (const instance of model.instances()) {
            expect(instance.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpEndpoint: "enabled" });
            expect(instance.inputs.metadataOptions.httpPutResponseHopLimit).toBeLessThanOrEqual(2);
            expect(instance.inputs.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3" });
            expect(instance.inputs.ebsBlockDevices ?? []).toEqual([]);
            expect(instance.inputs.iamInstanceProfile).toBeTruthy();
        }
        for (const db of model.ofType(T.rds)) expect(db.inputs).toMatchObject({ storageEncrypted: true, publiclyAccessible: false });
        for (const fs of model.ofType(T.efs)) expect(fs.inputs.encrypted).toBe(true);
        const keyArns = model.ofType(T.kmsKey).map((k) => k.outputs.arn);
        for (const secret of model.ofType(T.secret)) expect(keyArns).toContain(secret.inputs.kmsKeyId);
    });

    it("grants IAM permissions without wildcard actions or resources", () => {
        const { model } = run();
        const policies = [...model.ofType(T.rolePolicy), ...model.ofType(T.policy)];
        expect(policies.length).toBeGreaterThan(0);
        for (const policy of policies) {
            for (const statement of JSON.parse(policy.inputs.policy).Statement) {
                const actions = [statement.Action].flat();
                const resources = [statement.Resource].flat();
                if (statement.Effect === "Allow") {
                    expect(actions.filter((a: string) => a === "*" || a.endsWith(":*"))).toEqual([]);
                    expect(resources).not.toContain("*");
                }
            }
        }
    });

    it("lets the nodes read only this stack's secret, mount only through the access point, write only their log group", () => {
        const { model } = run();
        const policy = model.named("wso2-node-identity-policy");
        const statements = JSON.parse(policy.inputs.policy).Statement;
        const actions = statements.flatMap((s: { Action: string[] }) => s.Action).sort();
        expect(actions).toEqual([
            "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "kms:Decrypt",
            "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "secretsmanager:GetSecretValue",
        ]);
        const secretArn = model.ofType(T.secret)[0].outputs.arn;
        expect(statements.find((s: { Action: string[] }) => s.Action.includes("secretsmanager:GetSecretValue")).Resource).toEqual([secretArn]);
        const accessPoint = model.ofType("aws:efs/accessPoint:AccessPoint")[0];
        const mount = statements.find((s: { Action: string[] }) => s.Action.includes("elasticfilesystem:ClientMount"));
        expect(mount.Condition.StringEquals["elasticfilesystem:AccessPointArn"]).toBe(accessPoint.outputs.arn);
        const attachments = model.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.parent === "wso2-node-identity");
        expect(attachments.map((a) => a.inputs.policyArn)).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    });

    it("asks the mocks nothing they do not know", () => {
        expect(run().result.run.unknownCalls).toEqual([]);
    });
});

describe("prod compared with dev", () => {
    const pick = (stack: "dev" | "prod") => runs[stack].model;

    it("runs the database Multi-AZ and protects the database and load balancer from deletion", () => {
        expect(pick("dev").ofType(T.rds)[0].inputs).toMatchObject({ multiAz: false, deletionProtection: false });
        expect(pick("prod").ofType(T.rds)[0].inputs).toMatchObject({ multiAz: true, deletionProtection: true });
        expect(pick("dev").ofType(T.alb)[0].inputs.enableDeletionProtection).toBe(false);
        expect(pick("prod").ofType(T.alb)[0].inputs.enableDeletionProtection).toBe(true);
    });

    it("writes load balancer access logs to a private, encrypted, expiring bucket in prod only", () => {
        expect(pick("dev").ofType(T.bucket)).toEqual([]);
        expect(pick("dev").ofType(T.alb)[0].inputs.accessLogs).toBeUndefined();
        const prod = pick("prod");
        const [bucket] = prod.ofType(T.bucket);
        expect(prod.ofType(T.alb)[0].inputs.accessLogs).toMatchObject({ enabled: true, bucket: bucket.outputs.bucket });
        const about = (type: string) => prod.ofType(type).find((r) => r.inputs.bucket === bucket.outputs.bucket)?.inputs;
        expect(about("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")?.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
        expect(about("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).toMatchObject({
            blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        });
        expect(about("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")?.rules[0].expiration.days).toBeGreaterThan(0);
        const policy = JSON.parse(about("aws:s3/bucketPolicy:BucketPolicy")!.policy);
        const principals = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow").map((s: { Principal: unknown }) => s.Principal);
        expect(principals).toEqual(expect.arrayContaining([{ Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, { AWS: expect.stringMatching(/^arn:aws:iam::\d{12}:root$/) }]));
        expect(policy.Statement.some((s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false")).toBe(true);
    });

    it("has a NAT gateway per zone in prod and one in dev", () => {
        expect(pick("dev").ofType(T.natGateway)).toHaveLength(1);
        expect(pick("prod").ofType(T.natGateway)).toHaveLength(2);
    });

    it("sizes prod nodes larger", () => {
        expect(pick("dev").instances().map((i) => i.inputs.instanceType)).toEqual(["t3.large", "t3.large"]);
        expect(pick("prod").instances().map((i) => i.inputs.instanceType)).toEqual(["m6i.xlarge", "m6i.xlarge"]);
    });

    it("uses a DNS-validated certificate and alias records in prod, a self-signed one in dev", () => {
        const prod = pick("prod");
        const [certificate] = prod.ofType(T.certificate);
        expect(certificate.inputs).toMatchObject({ domainName: "api.apim.example.com", subjectAlternativeNames: ["gw.apim.example.com"], validationMethod: "DNS" });
        const validation = prod.ofType("aws:acm/certificateValidation:CertificateValidation")[0];
        expect(validation.inputs.validationRecordFqdns).toHaveLength(2);
        const listenerCerts = prod.ofType(T.listener).filter((l) => l.inputs.protocol === "HTTPS").map((l) => l.inputs.certificateArn);
        expect(new Set(listenerCerts)).toEqual(new Set([validation.outputs.certificateArn]));
        const aliases = prod.ofType(T.record).filter((r) => r.inputs.aliases);
        expect(aliases.map((r) => r.inputs.name).sort()).toEqual(["api.apim.example.com", "gw.apim.example.com"]);

        const dev = pick("dev");
        expect(dev.ofType(T.certificate)[0].inputs.validationMethod).toBeUndefined();
        expect(dev.ofType("tls:index/selfSignedCert:SelfSignedCert").some((c) => c.inputs.dnsNames?.includes("gw.dev.apim.example.com"))).toBe(true);
        expect(dev.ofType(T.record).filter((r) => r.inputs.aliases)).toEqual([]);
        expect(warnings.some((w) => w.includes("self-signed"))).toBe(true);
    });
});

describe("npm run render", () => {
    it("fails with the configuration message only, without a stack trace", () => {
        const cli = spawnSync(process.execPath, [require.resolve("tsx/cli"), "scripts/render.ts", "--stack", "no-such-stack"], {
            cwd: path.join(__dirname, "..", ".."),
            encoding: "utf8",
        });
        expect(cli.status).not.toBe(0);
        expect(cli.stderr).toContain("Pulumi.no-such-stack.yaml");
        expect(cli.stderr).not.toMatch(/\n\s+at /);
    });

    it("rejects bad configuration naming the key", async () => {
        await expect(renderStack("dev", { outDir: tempRenderDir("bad"), configOverrides: { nodeCount: 1 } })).rejects.toThrow(/nodeCount/);
    });
});

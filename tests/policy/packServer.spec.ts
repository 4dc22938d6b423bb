import * as path from "path";
import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import { CHECKLIST } from "../../policy/rules";

/**
 * The policy folder started the way `pulumi preview --policy-pack policy` starts it (the Node.js
 * language host runs @pulumi/pulumi's run-policy-pack on the folder, which compiles index.ts and serves
 * the analyzer on a port it prints), then asked over gRPC what the engine asks.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

const POLICY_DIR = path.join(__dirname, "..", "..", "policy");
const MANDATORY = analyzerPb.EnforcementLevel.MANDATORY;
const ADVISORY = analyzerPb.EnforcementLevel.ADVISORY;
/** What the engine sends for a string it cannot know before the update (an output of a resource not created yet). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let pack: ChildProcess;
let client: any;

beforeAll(async () => {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
    pack = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    pack.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
        pack.stdout!.on("data", (d) => resolve(Number(String(d).trim().split("\n")[0])));
        pack.on("exit", (code) => reject(new Error(`the policy pack exited (${code}) before serving: ${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60000);

afterAll(async () => {
    client?.close();
    // Waits for the exit, so the pack is gone before the next spec of the entry runs.
    if (pack && pack.exitCode === null && pack.signalCode === null) {
        const exited = new Promise((resolve) => pack.once("exit", resolve));
        pack.kill();
        await exited;
    }
});

const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](request, (err: Error | null, response: T) => (err ? reject(err) : resolve(response))));

async function analyze(type: string, name: string, properties: Record<string, unknown>, stack = "prod") {
    const request = new analyzerPb.AnalyzeRequest();
    request.setType(type);
    request.setName(name);
    request.setUrn(`urn:pulumi:${stack}::wso2-apim-ha::${type}::${name}`);
    request.setProperties(Struct.fromJavaScript(properties));
    request.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const response: any = await call("analyze", request);
    return response.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
}

test("serves every checklist policy, each mandatory and naming its rule ids, under the package's version", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("wso2-apim-ha-security");
    expect(info.getVersion()).toBe("1.0.0");
    const policies = info.getPoliciesList().map((p: any) => ({ name: p.getName(), level: p.getEnforcementlevel(), description: p.getDescription() }));
    expect(policies.map((p: any) => p.name)).toEqual(CHECKLIST.map((p) => p.name));
    for (const [served, policy] of policies.map((p: any, i: number) => [p, CHECKLIST[i]] as const)) {
        expect(served.level).toBe(MANDATORY);
        for (const id of policy.ruleIds) expect(served.description).toContain(id);
    }
});

test("a bad instance gets a mandatory violation from each policy it breaks; a hardened one gets none", async () => {
    const bad = await analyze("aws:ec2/instance:Instance", "bad", { metadataOptions: { httpTokens: "optional" }, associatePublicIpAddress: true });
    expect([...new Set(bad.map((d: any) => d.policy))].sort()).toEqual([
        "ec2-imdsv2-required", "ec2-instance-profile-no-ssh", "ec2-no-public-ip", "ec2-volumes-encrypted", "kms-customer-managed-keys",
    ]);
    for (const d of bad) expect(d.level).toBe(MANDATORY);

    const good = await analyze("aws:ec2/instance:Instance", "good", {
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        associatePublicIpAddress: false,
        rootBlockDevice: { encrypted: true, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k" },
        iamInstanceProfile: "profile",
    });
    expect(good).toEqual([]);
});

test("in a preview, a key ARN not known yet still counts as a customer key, and a policy document not known yet is reported as advisory", async () => {
    expect(await analyze("aws:cloudwatch/logGroup:LogGroup", "logs", { kmsKeyId: UNKNOWN_STRING })).toEqual([]);
    const unknownDocument = await analyze("aws:iam/rolePolicy:RolePolicy", "policy", { role: "r", policy: UNKNOWN_STRING });
    expect(unknownDocument).toEqual([expect.objectContaining({ policy: "iam-least-privilege", level: ADVISORY, message: expect.stringMatching(/during preview/) })]);
});

test("the production-only items are waived on the dev stack and required on any other", async () => {
    const alb = { loadBalancerType: "application", subnets: ["subnet-a", "subnet-b"], dropInvalidHeaderFields: true };
    expect(await analyze("aws:lb/loadBalancer:LoadBalancer", "alb", alb, "dev")).toEqual([]);
    const prod = await analyze("aws:lb/loadBalancer:LoadBalancer", "alb", alb, "staging");
    expect(prod.map((d: any) => d.policy)).toEqual(["alb-access-logs-deletion-protection", "alb-access-logs-deletion-protection"]);
});

test("stack policies see the whole stack: a VPC without flow logs or a closed default group is reported", async () => {
    const vpc = new analyzerPb.AnalyzerResource();
    vpc.setType("aws:ec2/vpc:Vpc");
    vpc.setName("vpc");
    vpc.setUrn("urn:pulumi:prod::wso2-apim-ha::aws:ec2/vpc:Vpc::vpc");
    vpc.setProperties(Struct.fromJavaScript({ cidrBlock: "10.0.0.0/16" }));
    vpc.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const request = new analyzerPb.AnalyzeStackRequest();
    request.setResourcesList([vpc]);
    const response: any = await call("analyzeStack", request);
    // The server puts the policy's description before each message.
    const diagnostics = response.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getUrn(), d.getMessage().split("\n").pop()]);
    expect(diagnostics).toEqual([
        ["vpc-flow-logs-default-sg-closed", vpc.getUrn(), "VPC vpc has no flow logs"],
        ["vpc-flow-logs-default-sg-closed", vpc.getUrn(), "VPC vpc's default security group keeps AWS's default rules"],
    ]);
});

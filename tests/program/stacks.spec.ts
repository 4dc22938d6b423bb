import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { spawnSync } from "child_process";
import { RENDER_COMMAND, renderStack, RenderOptions, RenderResult, runRenderCli } from "../../scripts/render";
import { parseArguments, UsageError } from "../../scripts/cliArguments";
import { OFFLINE_SECRET_PREFIX } from "../../lib/offline/offlineMocks";
import { StackConfigError } from "../../lib/config/stackConfig";
import { ProgramModel, T, filesUnder, tempRenderDir } from "./programModel";
import type { RecordedResource } from "../../lib/offline/offlineMocks";
import { evaluatePolicies } from "../policy/policyRun";
import { renderOnce } from "../support/sharedRender";
import { parseNodeEnvFile } from "../../lib/node/nodeEnvironment";
import { writtenFiles } from "../../lib/node/userDataDecoding";
import { fetchedBootScript } from "../../lib/offline/bootScriptFetch";

/** The two sample stacks rendered once each: the render contract, security settings, and how prod differs. */
const runs: Record<"dev" | "prod", { result: RenderResult; model: ProgramModel }> = {} as never;
const warnings: string[] = [];

beforeAll(async () => {
    for (const stack of ["dev", "prod"] as const) {
        const shared = await renderOnce(stack);
        runs[stack] = shared;
        warnings.push(...shared.warnings);
    }
    jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.join(" ")));
});

afterAll(() => jest.restoreAllMocks());

const model = (stack: "dev" | "prod") => runs[stack].model;

const STACKS = ["dev", "prod"] as const;
const REQUIRED_OUTPUTS = [
    "portalUrl", "publisherUrl", "devportalUrl", "adminUrl", "carbonUrl", "gatewayUrl",
    "loadBalancerDnsName", "nodeInstanceIds", "databaseEndpoint", "fileSystemId", "secretArn", "apimVersion", "databaseEngineVersion",
    "alarmTopicArn", "dashboardUrl",
];

describe.each(STACKS)("the %s render", (stack) => {
    const run = () => runs[stack];

    it("writes every file of the render contract", () => {
        const { outDir, nodes } = run().result;
        const resources = JSON.parse(fs.readFileSync(path.join(outDir, "resources.json"), "utf8"));
        expect(Array.isArray(resources)).toBe(true);
        for (const r of resources) {
            expect(Object.keys(r).sort()).toEqual(["custom", "dependsOn", "id", "inputs", "name", "outputs", "parent", "protect", "type"]);
        }
        expect(resources.map((r: { type: string }) => r.type)).toContain("wso2-apim-ha:apiManagerCluster:ApiManagerCluster");

        const outputs = JSON.parse(fs.readFileSync(path.join(outDir, "outputs.json"), "utf8"));
        // prod runs Universal Gateways, and names their group
        expect(Object.keys(outputs).sort()).toEqual([...REQUIRED_OUTPUTS, ...(stack === "prod" ? ["gatewayAutoScalingGroupName"] : [])].sort());
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

    it("writes the gateways' launch-template files under gateway/, laid out as a node's, only where the stack has gateways", () => {
        const { outDir, gateway } = run().result;
        const dir = path.join(outDir, "gateway");
        expect([fs.existsSync(dir), gateway !== undefined]).toEqual([stack === "prod", stack === "prod"]);
        if (!gateway) return;
        const [template] = run().model.ofType(T.launchTemplate);
        expect(gateway.launchTemplate).toBe(template.name);
        // the exact bytes EC2 receives: the template's userData base64-decoded, still gzip
        const userData = fs.readFileSync(path.join(dir, "user-data"));
        expect(userData.equals(Buffer.from(template.inputs.userData, "base64"))).toBe(true);
        expect(zlib.gunzipSync(userData).toString("utf8")).toBe(fs.readFileSync(path.join(dir, "cloud-config.yaml"), "utf8"));
        expect(gateway.cloudConfig.startsWith("#cloud-config\n")).toBe(true);
        // every file the cloud-config writes, decoded, then the boot script the loader fetches from the stack's bucket
        expect(gateway.files.map((f) => f.path)).toEqual([...writtenFiles(gateway.cloudConfig).map((f) => f.path), "/usr/local/sbin/wso2am-bootstrap"]);
        for (const file of gateway.files) expect(fs.readFileSync(path.join(dir, "files", file.path.slice(1))).equals(file.content)).toBe(true);
        const [object] = run().model.ofType(T.bucketObject);
        expect(fs.readFileSync(path.join(dir, "files/usr/local/sbin/wso2am-bootstrap"), "utf8")).toBe(object.inputs.content);
    });

    it("writes, for each node, the boot script its loader fetches: the stack's object at the key and SHA-256 its user data names, as installed", () => {
        const { result, model } = run();
        const [object] = model.ofType(T.bucketObject);
        expect(object.inputs.content).toBe(fs.readFileSync(path.join(__dirname, "../../config-templates/bootstrap.sh"), "utf8"));
        for (const node of result.nodes) {
            const dir = path.join(result.outDir, "nodes", String(node.index), "files");
            const env = parseNodeEnvFile(fs.readFileSync(path.join(dir, "etc/wso2am/boot-loader.env"), "utf8"));
            expect(env).toMatchObject({ BOOT_SCRIPT_BUCKET: object.inputs.bucket, BOOT_SCRIPT_KEY: object.inputs.key, BOOT_SCRIPT_PATH: "/usr/local/sbin/wso2am-bootstrap" });
            expect(object.inputs.key).toBe(`boot/${env.BOOT_SCRIPT_SHA256}/wso2am-bootstrap`);
            expect(fs.readFileSync(path.join(dir, "usr/local/sbin/wso2am-bootstrap"), "utf8")).toBe(object.inputs.content);
            expect(node.files.find((f) => f.path === "/usr/local/sbin/wso2am-bootstrap")).toMatchObject({ permissions: "0755", owner: "root:root" });
            // not in the user data itself: cloud-init writes the loader, which fetches the script
            expect(writtenFiles(node.cloudConfig).map((f) => f.path)).not.toContain("/usr/local/sbin/wso2am-bootstrap");
            // the render refuses what the loader would refuse
            const files = writtenFiles(node.cloudConfig);
            const tampered = result.resources.map((r) => (r === result.resources.find((x) => x.type === T.bucketObject) ? { ...r, inputs: { ...r.inputs, content: `${r.inputs.content}#\n` } } : r));
            expect(() => fetchedBootScript(files, tampered, "/etc/wso2am/boot-loader.env")).toThrow(/the boot loader would refuse s3:\/\/\S+: expected SHA-256 [0-9a-f]{64}, the object has [0-9a-f]{64}/);
            expect(() => fetchedBootScript(files, result.resources.filter((r) => r.type !== T.bucketObject), "/etc/wso2am/boot-loader.env")).toThrow(/fetches s3:\/\/\S+, which the stack does not store/);
        }
        // with vpcEndpoints, the download takes the S3 gateway endpoint, whose (absent) policy admits the bucket
        for (const endpoint of model.ofType(T.vpcEndpoint).filter((e) => e.inputs.vpcEndpointType === "Gateway")) expect(endpoint.inputs.policy).toBeUndefined();
        expect(model.ofType(T.vpcEndpoint).some((e) => e.inputs.vpcEndpointType === "Gateway")).toBe(stack === "prod");
    });

    it("shows in resources.json what each resource waits for, the id others refer to it by, and its protect option", () => {
        const { outDir } = run().result;
        const entries: { type: string; name: string; id: string | null; custom: boolean; parent: string | null; dependsOn: string[]; protect: boolean; inputs: any; outputs: any }[] =
            JSON.parse(fs.readFileSync(path.join(outDir, "resources.json"), "utf8"));
        const named = (name: string) => entries.find((e) => e.name === name)!;
        const names = new Set(entries.map((e) => e.name));
        for (const e of entries) {
            // Components have no id; every custom resource has one, and no two share it.
            expect(e.custom ? typeof e.id : e.id).toBe(e.custom ? "string" : null);
            for (const d of e.dependsOn) expect(names).toContain(d);
        }
        const ids = entries.filter((e) => e.custom).map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(named("wso2").custom).toBe(false);

        // Through inputs: the instance's subnetId is the subnet's id, and so it waits for that subnet.
        const instance1 = named("wso2-apim-1-instance");
        const subnet = entries.find((e) => e.id === instance1.inputs.subnetId)!;
        expect(subnet.type).toBe(T.subnet);
        expect(instance1.dependsOn).toContain(subnet.name);
        // The database waits for its parameter and subnet groups, which it names in its inputs.
        const database = entries.find((e) => e.type === T.rds)!;
        for (const [type, input] of [["aws:rds/parameterGroup:ParameterGroup", "parameterGroupName"], ["aws:rds/subnetGroup:SubnetGroup", "dbSubnetGroupName"]]) {
            const group = entries.find((e) => e.type === type)!;
            expect(database.inputs[input]).toBe(group.outputs.name);
            expect(database.dependsOn).toContain(group.name);
        }
        // Explicit dependsOn: node 2 is created after node 1's rolling gate; the last gate after every node.
        expect(named("wso2-apim-2-instance").dependsOn).toContain("wso2-apim-1-healthy");
        expect(named("wso2-nodes-healthy").dependsOn).toEqual(
            expect.arrayContaining(["wso2-apim-1-instance", "wso2-apim-1-healthy", "wso2-apim-2-instance", "wso2-apim-2-healthy"]),
        );
        // protect follows deletionProtection (true in prod, false in dev) on the database and file system only.
        const protectedNames = entries.filter((e) => e.protect).map((e) => e.name).sort();
        expect(protectedNames).toEqual(stack === "prod" ? ["wso2-db-instance", "wso2-efs-fs"] : []);
    });

    it("puts no generated secret into any node's or the gateways' user data or files, or into the outputs", () => {
        const { outDir } = run().result;
        const written = filesUnder(outDir).filter((f) => f !== "resources.json");
        // the gateways' folder is among the files checked (prod has gateways)
        expect(written.some((f) => f.startsWith(`gateway${path.sep}`))).toBe(stack === "prod");
        const leaks = written
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

    it("encrypts every store that can take a key with the stack's one rotating key: secret, file system, database, volumes, logs, topics", () => {
        const { model } = run();
        const keys = model.ofType(T.kmsKey);
        expect(keys).toHaveLength(1);
        expect(keys[0].inputs.enableKeyRotation).toBe(true);
        const keyArn = keys[0].outputs.arn;
        const named = (type: string, property: string) => model.ofType(type).map((r) => ({ name: r.name, key: r.inputs[property] }));
        const stores = [
            ...named(T.secret, "kmsKeyId"),
            ...named(T.efs, "kmsKeyId"),
            ...named(T.rds, "kmsKeyId"),
            ...named(T.rds, "performanceInsightsKmsKeyId"),
            ...named(T.logGroup, "kmsKeyId"),
            ...named(T.snsTopic, "kmsMasterKeyId"),
            ...model.instances().map((i) => ({ name: i.name, key: i.inputs.rootBlockDevice.kmsKeyId })),
            // the gateways' volumes (prod), through their launch template
            ...model.ofType(T.launchTemplate).flatMap((t) => t.inputs.blockDeviceMappings.map((b: any) => ({ name: t.name, key: b.ebs.kmsKeyId }))),
            // S3 under a KMS key (the boot artifacts; the access-log bucket takes none: SSE-S3 only)
            ...model.ofType(T.bucketEncryption)
                .filter((r) => r.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm === "aws:kms")
                .map((r) => ({ name: r.name, key: r.inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId })),
            ...named(T.bucketObject, "kmsKeyId"),
        ];
        expect(stores.filter((s) => s.key !== keyArn)).toEqual([]);
        expect(stores.map((s) => s.name)).toEqual(expect.arrayContaining(["wso2-boot-encryption", "wso2-boot-script"]));
        // Node logs, flow logs, the two RDS exports; each store kind is present, so the check is not vacuous.
        expect(model.ofType(T.logGroup).length).toBeGreaterThanOrEqual(4);
        for (const type of [T.secret, T.efs, T.rds]) expect(model.ofType(type).length).toBeGreaterThan(0);
        expect(model.ofType(T.rds)[0].inputs.performanceInsightsEnabled).toBe(true);
    });

    it("lets CloudWatch Logs use the key for every log group the stack creates, and for nothing else", () => {
        const { model } = run();
        const policy = JSON.parse(model.ofType(T.kmsKey)[0].inputs.policy);
        const logs = policy.Statement.find((s: any) => s.Principal.Service === "logs.eu-west-1.amazonaws.com");
        const patterns: string[] = logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"];
        const glob = (p: string) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`);
        for (const group of model.ofType(T.logGroup)) {
            const arn = `arn:aws:logs:eu-west-1:123456789012:log-group:${group.inputs.name}`;
            expect([group.inputs.name, patterns.some((p) => glob(p).test(arn))]).toEqual([group.inputs.name, true]);
        }
        expect(patterns.every((p) => p.includes(`/${stack}`) || p.includes(`-${stack}-`))).toBe(true);
    });

    it("grants IAM permissions without wildcard actions or resources (but PutMetricData's, confined to the nodes' or gateways' namespace)", () => {
        const { model } = run();
        const policies = [...model.ofType(T.rolePolicy), ...model.ofType(T.policy)];
        expect(policies.length).toBeGreaterThan(0);
        for (const policy of policies) {
            for (const statement of JSON.parse(policy.inputs.policy).Statement) {
                const actions = [statement.Action].flat();
                const resources = [statement.Resource].flat();
                if (statement.Effect === "Allow") {
                    expect(actions.filter((a: string) => a === "*" || a.endsWith(":*"))).toEqual([]);
                    // PutMetricData has no resource type: "*" is the only resource IAM accepts for it.
                    if (actions.length === 1 && actions[0] === "cloudwatch:PutMetricData") {
                        expect(statement.Condition.StringEquals["cloudwatch:namespace"]).toMatch(/^wso2-apim-ha\/(dev|prod)\/(nodes|gateways)$/);
                    } else {
                        expect(resources).not.toContain("*");
                    }
                }
            }
        }
    });

    it("lets the nodes read only this stack's secret, mount only through the access point, write only their log group and metrics", () => {
        const { model } = run();
        const policy = model.named("wso2-node-identity-policy");
        const statements = JSON.parse(policy.inputs.policy).Statement;
        const actions = statements.flatMap((s: { Action: string[] }) => s.Action).sort();
        expect(actions).toEqual([
            "cloudwatch:PutMetricData", "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "kms:Decrypt", "kms:Decrypt",
            "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "s3:GetObject", "secretsmanager:GetSecretValue",
        ]);
        // the boot scripts only: the objects under boot/ of the stack's boot bucket
        const bootBucket = model.named("wso2-boot-bucket").outputs.arn;
        expect(statements.find((s: { Action: string[] }) => s.Action.includes("s3:GetObject")).Resource).toEqual([`${bootBucket}/boot/*`]);
        const secretArn = model.ofType(T.secret)[0].outputs.arn;
        expect(statements.find((s: { Action: string[] }) => s.Action.includes("secretsmanager:GetSecretValue")).Resource).toEqual([secretArn]);
        const accessPoint = model.ofType("aws:efs/accessPoint:AccessPoint")[0];
        const mount = statements.find((s: { Action: string[] }) => s.Action.includes("elasticfilesystem:ClientMount"));
        expect(mount.Condition.StringEquals["elasticfilesystem:AccessPointArn"]).toBe(accessPoint.outputs.arn);
        const attachments = model.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.parent === "wso2-node-identity");
        expect(attachments.map((a) => a.inputs.policyArn)).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    });

    it("alarms on every node, the gateways' group (prod), the load balancer, the database and the file system into the stack's encrypted topic, with a dashboard and saved queries", () => {
        const { model, result } = run();
        const [topic] = model.ofType("aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).toBe(model.ofType(T.kmsKey)[0].outputs.arn);
        expect(result.outputs.alarmTopicArn).toBe(topic.outputs.arn);
        const alarms = model.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
        const dimensionValues = alarms.flatMap((a) => [
            ...Object.values(a.inputs.dimensions ?? {}),
            ...(a.inputs.metricQueries ?? []).flatMap((q: any) => Object.values(q.metric?.dimensions ?? {})),
        ]);
        const watched = [
            ...model.instances().map((i) => i.id),
            model.ofType(T.alb)[0].outputs.arnSuffix,
            ...model.ofType(T.targetGroup).map((g) => g.outputs.arnSuffix),
            model.ofType(T.rds)[0].inputs.identifier,
            model.ofType(T.efs)[0].id,
            ...model.ofType(T.autoScalingGroup).map((g) => g.outputs.name),
        ];
        expect(model.ofType(T.autoScalingGroup)).toHaveLength(stack === "prod" ? 1 : 0);
        for (const resource of watched) expect([resource, dimensionValues.includes(resource)]).toEqual([resource, true]);
        expect(new Set(dimensionValues)).toEqual(new Set(watched));
        for (const alarm of alarms) expect(alarm.inputs.okActions).toEqual([topic.outputs.arn]);
        const recovering = alarms.filter((a) => a.inputs.alarmActions.some((arn: string) => arn.endsWith(":ec2:recover")));
        expect(recovering.map((a) => a.inputs.dimensions.InstanceId).sort()).toEqual(model.instances().map((i) => i.id).sort());

        const [dashboard] = model.ofType("aws:cloudwatch/dashboard:Dashboard");
        expect(JSON.parse(dashboard.inputs.dashboardBody).widgets.filter((w: any) => w.type === "metric")).toHaveLength(alarms.length);
        expect(result.outputs.dashboardUrl).toContain(`#dashboards/dashboard/${dashboard.inputs.dashboardName}`);
        const logGroup = model.named("wso2-node-identity-logs").inputs.name;
        const queries = model.ofType("aws:cloudwatch/queryDefinition:QueryDefinition");
        expect(queries.length).toBe(3);
        for (const q of queries) expect(q.inputs.logGroupNames).toEqual([logGroup]);
    });

    it("lets only this account's CloudWatch alarms use the stack key, for the encrypted topic", () => {
        const policy = JSON.parse(run().model.ofType(T.kmsKey)[0].inputs.policy);
        expect(policy.Statement).toContainEqual({
            Sid: "CloudWatchAlarmsPublishToEncryptedAlarmTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        });
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
        const logBuckets = (stack: "dev" | "prod") => pick(stack).ofType(T.bucket).filter((b) => b.name === "wso2-lb-logs");
        expect(logBuckets("dev")).toEqual([]);
        expect(pick("dev").ofType(T.alb)[0].inputs.accessLogs).toBeUndefined();
        const prod = pick("prod");
        const [bucket] = logBuckets("prod");
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

    it("keeps the nodes' and gateways' AWS API calls inside the VPC in prod only: endpoints in the nodes' subnets, reachable from nodes and gateways alone", () => {
        expect(pick("dev").ofType(T.vpcEndpoint)).toEqual([]);
        const prod = pick("prod");
        const endpoints = prod.ofType(T.vpcEndpoint);
        const interfaces = endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface");
        const services = (list: typeof endpoints) => list.map((e) => e.inputs.serviceName.replace("com.amazonaws.eu-west-1.", "")).sort();
        expect(services(interfaces)).toEqual(["ec2messages", "kms", "logs", "monitoring", "secretsmanager", "ssm", "ssmmessages"]);
        const nodeSubnets = prod.instances().map((i) => i.inputs.subnetId).sort();
        for (const e of interfaces) {
            expect(e.inputs.privateDnsEnabled).toBe(true);
            expect([...e.inputs.subnetIds].sort()).toEqual(nodeSubnets);
        }
        const [group] = [...new Set(interfaces.flatMap((e) => e.inputs.securityGroupIds as string[]))];
        const { node, loadBalancer, database, gateway } = prod.groups();
        expect(prod.allows({ group: node }, group, 443)).toBe(true);
        expect(prod.allows({ group: gateway! }, group, 443)).toBe(true);
        expect(prod.allows({ group: gateway! }, group, 80)).toBe(false);
        for (const other of [loadBalancer, database]) expect(prod.allows({ group: other }, group, 443)).toBe(false);
        expect(prod.allows({ cidr: "0.0.0.0/0" }, group, 443)).toBe(false);
        expect(prod.allows({ group: node }, group, 80)).toBe(false);

        const gateways = endpoints.filter((e) => e.inputs.vpcEndpointType === "Gateway");
        expect(services(gateways)).toEqual(["s3"]);
        const nodeRouteTables = prod.ofType(T.routeTableAssociation).filter((a) => nodeSubnets.includes(a.inputs.subnetId)).map((a) => a.inputs.routeTableId);
        expect([...gateways[0].inputs.routeTableIds].sort()).toEqual(nodeRouteTables.sort());
        // Nodes and gateways boot only once the endpoints exist, so the boot's first AWS call already resolves to them.
        for (const booting of [...prod.instances(), ...prod.ofType(T.autoScalingGroup)]) {
            const waitsFor = prod.dependencyClosure(booting.name);
            expect(endpoints.filter((e) => !waitsFor.has(e.name))).toEqual([]);
        }
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

describe("the security policy pack (policy/) over the renders", () => {
    const policiesFiring = (resources: readonly RecordedResource[], stack = "prod") => [...new Set(evaluatePolicies(resources, stack).map((v) => v.policy))].sort();
    const prod = () => runs.prod.result.resources;
    const named = (name: string) => prod().find((r) => r.name === name)!;
    const replaced = (name: string, change: (r: RecordedResource) => RecordedResource) => prod().map((r) => (r.name === name ? change(r) : r));

    it.each(STACKS)("holds on the %s render: no policy reports anything", (stack) => {
        expect(evaluatePolicies(runs[stack].result.resources, stack)).toEqual([]);
    });

    it("waives on dev exactly the production-only items, which the same render breaks when judged as production", () => {
        const asProduction = evaluatePolicies(runs.dev.result.resources, "dev", { developmentEnvironments: [] });
        expect(asProduction.map((v) => `${v.policy} ${v.resource}: ${v.message}`).sort()).toEqual([
            "alb-access-logs-deletion-protection wso2-lb-alb: the load balancer can be deleted (enableDeletionProtection)",
            "alb-access-logs-deletion-protection wso2-lb-alb: the load balancer writes no access logs (accessLogs)",
            "rds-hardening wso2-db-instance: backups are kept 1 day(s), expected at least 7",
            "rds-hardening wso2-db-instance: the instance can be deleted (deletionProtection)",
            "rds-hardening wso2-db-instance: the instance is not Multi-AZ",
        ]);
    });

    it("follows the render's own references: the stack policies fire once a link they check is broken", () => {
        expect(policiesFiring(prod().filter((r) => r.type !== "aws:ec2/flowLog:FlowLog"))).toEqual(["vpc-flow-logs-default-sg-closed"]);
        expect(policiesFiring(prod().filter((r) => r.type !== "aws:efs/fileSystemPolicy:FileSystemPolicy"))).toEqual(["efs-private-mount-targets-tls-policy"]);
        expect(policiesFiring(prod().filter((r) => r.type !== "aws:iam/rolePolicyAttachment:RolePolicyAttachment"))).toEqual(["ec2-managed-by-ssm"]);

        const params = (r: RecordedResource) => ({ ...r, outputs: { ...r.outputs, parameters: r.outputs.parameters.filter((p: any) => p.name !== "require_secure_transport") } });
        expect(policiesFiring(replaced("wso2-db-parameters", params))).toEqual(["rds-requires-tls"]);

        const publicSubnet = prod().find((r) => r.name === "wso2-network-public-1")!.name;
        const intoPublic = (r: RecordedResource) => ({ ...r, propertyDependencies: { ...r.propertyDependencies, subnetId: [publicSubnet] } });
        expect(policiesFiring(replaced("wso2-efs-mount-1", intoPublic))).toEqual(["efs-private-mount-targets-tls-policy"]);

        const lbGroup = named("wso2-sg-load-balancer").name;
        const node = model("prod").instances()[0].name;
        const behindLbGroup = (r: RecordedResource) => ({ ...r, propertyDependencies: { ...r.propertyDependencies, vpcSecurityGroupIds: [lbGroup] } });
        expect(policiesFiring(replaced(node, behindLbGroup))).toEqual(["sg-internet-ingress-load-balancers-only"]);
    });

    it("judges the gateways' launch template and Auto Scaling group as the checklist says", () => {
        const [template] = model("prod").ofType(T.launchTemplate);
        const [group] = model("prod").ofType(T.autoScalingGroup);
        // the fleet's own resources and the subnets it spans: a fifth of the render, so each judgement is quick
        const fleet = prod().filter((r) => r.type === T.subnet || r.name === group.parent || (r.parent ?? "").startsWith(group.parent!));
        expect(evaluatePolicies(fleet, "prod")).toEqual([]);
        const firing = (name: string, change: (r: RecordedResource) => RecordedResource) => policiesFiring(fleet.map((r) => (r.name === name ? change(r) : r)));
        const inputs = (r: RecordedResource, change: Record<string, unknown>) => ({ ...r, inputs: { ...r.inputs, ...change }, outputs: { ...r.outputs, ...change } });
        expect(firing(template.name, (r) => inputs(r, { metadataOptions: { ...r.inputs.metadataOptions, httpPutResponseHopLimit: 2 } }))).toEqual(["ec2-imdsv2-required"]);
        expect(firing(template.name, (r) => inputs(r, { networkInterfaces: [{ ...r.inputs.networkInterfaces[0], associatePublicIpAddress: "true" }] }))).toEqual(["ec2-no-public-ip"]);
        expect(firing(group.name, (r) => inputs(r, { healthCheckType: "EC2" }))).toEqual(["asg-launch-template-elb-health-zones"]);
        const oneZone = (r: RecordedResource) => ({ ...inputs(r, { vpcZoneIdentifiers: r.inputs.vpcZoneIdentifiers.slice(0, 1) }), propertyDependencies: { ...r.propertyDependencies, vpcZoneIdentifiers: r.propertyDependencies.vpcZoneIdentifiers.slice(0, 1) } });
        expect(firing(group.name, oneZone)).toEqual(["asg-launch-template-elb-health-zones"]);
        // the gateways' role without the SSM policy: the template's profile is followed to it
        expect(policiesFiring(fleet.filter((r) => r.type !== "aws:iam/rolePolicyAttachment:RolePolicyAttachment"))).toEqual(["ec2-managed-by-ssm"]);
    });
});

describe("npm run render", () => {
    it("understands npm keeping --stack=<name> for itself, and lists the stacks when that one has no file", () => {
        // Through npm, as a newcomer types it: npm passes --stack=… on only as npm_config_stack.
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_config_")));
        const cli = spawnSync("npm", ["run", "--silent", "render", "--stack=no-such-stack"], {
            cwd: path.join(__dirname, "..", ".."),
            encoding: "utf8",
            env,
        });
        expect(cli.status).toBe(1);
        expect(cli.stderr).toContain("No stack file Pulumi.no-such-stack.yaml");
        expect(cli.stderr).toMatch(/The stacks here: .*dev \(Pulumi\.dev\.yaml\), .*prod \(Pulumi\.prod\.yaml\)/);
        expect(cli.stderr).not.toMatch(/\n\s+at /);
    });

    it("rejects bad configuration naming the key", async () => {
        await expect(renderStack("dev", { outDir: tempRenderDir("bad"), configOverrides: { nodeCount: 1 } })).rejects.toThrow(/nodeCount/);
    });
});

/**
 * The instance type is looked up in EC2 (aws.ec2.getInstanceType) before anything is built; offline, the
 * mocks answer from a small table and fail the invoke for any other type, as EC2 does.
 */
describe("checks against what AWS says, before anything is built", () => {
    async function problemsOf(configOverrides: Record<string, unknown>): Promise<{ key: string; message: string }[]> {
        try {
            await renderStack("dev", { outDir: tempRenderDir("instance-type"), configOverrides });
        } catch (err) {
            expect(err).toBeInstanceOf(StackConfigError);
            return [...(err as StackConfigError).problems];
        }
        throw new Error(`expected ${JSON.stringify(configOverrides)} to be refused`);
    }

    it("refuses an instance type EC2 does not have, together with the other looked-up problems", async () => {
        const problems = await problemsOf({
            instanceType: "m6i.huge",
            natGateways: undefined,
            existingVpcId: "vpc-0123456789abcdef0",
            existingPublicSubnetIds: ["subnet-0000000000000001a", "subnet-0000000000000001b"],
            existingPrivateSubnetIds: ["subnet-0000000000000002a", "subnet-0000000000000003a"],
        });
        expect(problems).toEqual([
            { key: "existingPrivateSubnetIds", message: expect.stringMatching(/all subnets are in eu-west-1a/) },
            { key: "instanceType", message: expect.stringMatching(/^unknown instance type "m6i\.huge"/) },
        ]);
    });

    it("refuses a heap the instance type's memory cannot hold", async () => {
        expect(await problemsOf({ instanceType: "t3.large", jvmHeapSizeMb: 8192 })).toEqual([
            { key: "jvmHeapSizeMb", message: expect.stringMatching(/^8192 MiB does not fit t3\.large \(2 vCPU, 8192 MiB of memory\): at most 6144 MiB/) },
        ]);
    });

    it("answers for Graviton types as EC2 does, checking their memory too", async () => {
        expect(await problemsOf({ instanceType: "t4g.small", jvmHeapSizeMb: 1024 })).toEqual([
            { key: "instanceType", message: expect.stringMatching(/^t4g\.small \(2 vCPU, 2048 MiB of memory\) is too small/) },
        ]);
    });
});

/** `npm run render` as a newcomer types it, run in-process: each slip gets one message, and no stack trace. */
describe("npm run render, as typed", () => {
    interface Run {
        code: number;
        out: string;
        err: string;
    }

    async function render(argv: string[], env: Record<string, string> = {}, options: RenderOptions = {}): Promise<Run> {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runRenderCli(argv, env, { log: (l) => out.push(l), error: (l) => err.push(l) }, options);
        return { code, out: out.join("\n"), err: err.join("\n") };
    }

    const stackOf = (argv: string[], env: Record<string, string> = {}) => {
        const parsed = parseArguments(argv, env, RENDER_COMMAND);
        if (parsed.help) throw new Error("unexpected help");
        return parsed.values.stack;
    };

    const STACK_TRACE = /\n\s+at /;

    describe("choosing the stack", () => {
        it("hands a bare argument to the renderer as the stack (npm run render prod)", async () => {
            // A stack without a file stops before rendering, and its name shows which stack the render looked for.
            const run = await render(["qa"]);
            expect(run.code).toBe(1);
            expect(run.err).toMatch(/^No stack file Pulumi\.qa\.yaml/);
        });

        it.each([
            ["no arguments", [], {}, "dev"],
            ["--stack prod after --", ["--stack", "prod"], {}, "prod"],
            ["--stack=prod after --", ["--stack=prod"], {}, "prod"],
            // `npm run render --stack prod`: npm keeps --stack (as "true") and passes prod on as an argument.
            ["npm run render --stack prod", ["prod"], { npm_config_stack: "true" }, "prod"],
            // `npm run render --stack=prod`: npm keeps the whole option and passes nothing on.
            ["npm run render --stack=prod", [], { npm_config_stack: "prod" }, "prod"],
        ])("reads %s", (_label, argv, env, stack) => {
            expect(stackOf(argv, env as Record<string, string>)).toBe(stack);
        });

        it("says where a stack read from npm's configuration came from", () => {
            const parsed = parseArguments([], { npm_config_stack: "prod" }, RENDER_COMMAND);
            expect(parsed.help === false && parsed.notes.join()).toContain("npm run render -- --stack prod");
        });
    });

    describe("refusing what it cannot run, with the usage", () => {
        it.each([
            ["a bare --stack that npm kept for itself", [], { npm_config_stack: "true" }, /npm kept --stack for itself; put it after --: npm run render -- --stack <name>/],
            ["an unknown option, suggesting the near one", ["--stak", "prod"], {}, /unknown option --stak \(did you mean --stack\?\)/],
            ["an option of another tool", ["--target", "x"], {}, /unknown option --target\n/],
            ["a second stack name", ["prod", "dev"], {}, /expected one stack, got 2: prod dev/],
            ["--stack without a value", ["--stack"], {}, /--stack needs a value/],
            ["two different stacks", ["--stack", "prod", "dev"], {}, /--stack given twice \("prod" and "dev"\)/],
            ["npm's stack and another one", ["dev"], { npm_config_stack: "prod" }, /--stack given twice/],
            ["a path instead of a stack name", ["--stack", "../Pulumi.dev.yaml"], {}, /expected a name, got "..\/Pulumi.dev.yaml"/],
        ])("%s", async (_label, argv, env, message) => {
            expect(() => parseArguments(argv, env as Record<string, string>, RENDER_COMMAND)).toThrow(UsageError);
            const run = await render(argv, env as Record<string, string>);
            expect(run.code).toBe(2);
            expect(run.err).toMatch(message);
            expect(run.err).toContain("Usage: npm run render -- [--stack <name>]");
            expect(run.err).not.toMatch(STACK_TRACE);
            expect(run.out).toBe("");
        });

        it("prints the usage on --help", async () => {
            const run = await render(["--help"]);
            expect(run.code).toBe(0);
            expect(run.out).toMatch(/^Usage: npm run render -- \[--stack <name>\]\n {3}or: npm run render <name>/);
        });
    });

    it("names the stack files that exist when the stack has none, suggesting a near one", async () => {
        const run = await render(["--stack", "prd"]);
        expect(run.code).toBe(1);
        expect(run.err).toContain("No stack file Pulumi.prd.yaml");
        expect(run.err).toMatch(/The stacks here: .*dev \(Pulumi\.dev\.yaml\), .*prod \(Pulumi\.prod\.yaml\)/);
        expect(run.err).toContain("Did you mean prod?");
        expect(run.err).not.toMatch(STACK_TRACE);
    });

    it("prints a configuration problem as its message alone, naming the key", async () => {
        const run = await render(["dev"], {}, { configOverrides: { nodecount: 3 } });
        expect(run.code).toBe(1);
        expect(run.err).toBe("Invalid stack configuration (1 problem):\n  - nodecount: unknown key; did you mean nodeCount?");
        expect(run.out).toBe("");
    });
});

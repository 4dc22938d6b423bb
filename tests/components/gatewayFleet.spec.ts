import { installOfflineMocks } from "../../lib/offline/offlineMocks";
import { planCluster } from "../../lib/plan/clusterPlan";
import { decodeUserData } from "../../lib/node/userDataDecoding";
import {
    GATEWAY_HEALTH_CHECK_GRACE_SECONDS,
    GATEWAY_INSTANCE_WARMUP_SECONDS,
    gatewayFleetProblems,
} from "../../lib/aws/gatewayFleet";
import { ProgramModel, T } from "../program/programModel";
import type { RecordedResource } from "../../lib/offline/offlineMocks";
import { renderOnce } from "../support/sharedRender";
import { sampleConfig } from "../support/sampleConfig";
import type { GatewayFleet as GatewayFleetClass } from "../../components/gatewayFleet";

/** The gateways' launch template, Auto Scaling group, scaling policy and identity, as prod renders them. */
let prod: ProgramModel;
const FLEET = "wso2-gateways";
const template = () => prod.named(`${FLEET}-template`);
const group = () => prod.named(`${FLEET}-group`);
/** The gateways' own secret (no database password) and the stack secret the nodes read. */
const gatewaySecretArn = () => prod.named("wso2-secrets-gateway-secret").outputs.arn;
const stackSecretArn = () => prod.named("wso2-secrets-secret").outputs.arn;
/** The prod stack's first deploy, in minutes (docs/boot-and-recovery.md, "How long a first deploy takes"). */
const PROD_FIRST_DEPLOY_MINUTES = 23;

beforeAll(async () => {
    ({ model: prod } = await renderOnce("prod"));
});

describe("the launch template", () => {
    it("requires IMDSv2 tokens with a hop limit of 1, and turns on detailed monitoring", () => {
        expect(template().inputs.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(template().inputs.monitoring).toEqual({ enabled: true });
    });

    it("gives each gateway an encrypted gp3 root volume under the stack key, and nothing else", () => {
        const stackKey = prod.ofType(T.kmsKey)[0].outputs.arn;
        expect(template().inputs.blockDeviceMappings).toEqual([
            { deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: expect.any(Number), encrypted: "true", kmsKeyId: stackKey, deleteOnTermination: "true" } },
        ]);
    });

    it("gives no public address, and one interface in the gateways' own security group", () => {
        const [nic, ...others] = template().inputs.networkInterfaces;
        expect(others).toEqual([]);
        expect(nic).toMatchObject({ deviceIndex: 0, associatePublicIpAddress: "false" });
        expect(nic.securityGroups).toEqual([prod.named("wso2-sg-gateway").id]);
        expect(nic.securityGroups).not.toContain(prod.groups().node);
        expect(template().inputs.vpcSecurityGroupIds).toBeUndefined();
    });

    it("runs the nodes' Amazon Linux image, and ignores later releases of a looked-up one, as the nodes do", () => {
        const amis = new Set(prod.instances().map((i) => i.inputs.ami));
        expect(amis).toEqual(new Set([template().inputs.imageId]));
        expect(template().ignoreChanges).toEqual(["imageId"]);
        for (const instance of prod.instances()) expect(instance.ignoreChanges).toEqual(["ami"]);
    });

    it("uses the gateways' own instance profile, of the stack's gateway type", () => {
        expect(template().inputs.iamInstanceProfile).toEqual({ name: prod.named(`${FLEET}-identity-profile`).outputs.name });
        expect(template().inputs.iamInstanceProfile.name).not.toBe(prod.named("wso2-node-identity-profile").outputs.name);
        expect(template().inputs.instanceType).toBe("c6i.large");
    });

    it("tags every gateway and its volume with the stack's tags, which the provider does not put there", () => {
        const specifications = template().inputs.tagSpecifications;
        expect(specifications.map((s: { resourceType: string }) => s.resourceType).sort()).toEqual(["instance", "volume"]);
        for (const s of specifications) {
            expect(s.tags).toMatchObject({ Project: "wso2-apim-ha", Environment: "prod", ManagedBy: "pulumi", Name: "gateway" });
        }
    });

    it("carries the gateways' user data: a cloud-config that names the gateways' own secret and log group", () => {
        const { cloudConfig } = decodeUserData(template().inputs.userData);
        expect(cloudConfig.startsWith("#cloud-config")).toBe(true);
        expect(cloudConfig).toContain(`SECRET_ARN="${gatewaySecretArn()}"`);
        expect(cloudConfig).not.toContain(stackSecretArn());
        expect(cloudConfig).toContain("/wso2-apim-ha/prod/gateways");
    });
});

describe("the Auto Scaling group", () => {
    it("spreads the gateways over the private subnets of every zone", () => {
        const subnets: string[] = group().inputs.vpcZoneIdentifiers;
        const privateSubnets = prod.ofType(T.subnet).filter((s) => s.name.startsWith("wso2-network-private-")).map((s) => s.id);
        expect([...subnets].sort()).toEqual([...privateSubnets].sort());
        const zones = subnets.map((id) => prod.byId(T.subnet, id).outputs.availabilityZone);
        expect(new Set(zones).size).toBe(2);
        expect(group().inputs.minSize).toBeGreaterThanOrEqual(zones.length);
    });

    it("keeps the configured sizes, starting at the minimum and leaving the desired capacity to scaling", () => {
        expect(group().inputs).toMatchObject({ minSize: 2, maxSize: 6, desiredCapacity: 2 });
        expect(group().ignoreChanges).toEqual(["desiredCapacity"]);
    });

    it("replaces gateways the load balancer finds unhealthy, after a grace longer than a first prod deploy takes to serve", () => {
        expect(group().inputs).toMatchObject({ healthCheckType: "ELB", healthCheckGracePeriod: GATEWAY_HEALTH_CHECK_GRACE_SECONDS });
        expect(GATEWAY_HEALTH_CHECK_GRACE_SECONDS).toBeGreaterThan(PROD_FIRST_DEPLOY_MINUTES * 60);
        // the provider's own capacity wait is off: the health gate waits, with the boot's FAILED line
        expect(group().inputs.waitForCapacityTimeout).toBe("0");
    });

    it("publishes its size every minute", () => {
        expect([...group().inputs.enabledMetrics].sort()).toEqual(["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize", "GroupMinSize"]);
        expect(group().inputs.metricsGranularity).toBe("1Minute");
    });

    it("rolls a new launch template version out by an instance refresh: launch before terminate, skip the up to date, roll back on failure", () => {
        expect(group().inputs.instanceRefresh).toEqual({
            strategy: "Rolling",
            preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, autoRollback: true, skipMatching: true, instanceWarmup: String(GATEWAY_INSTANCE_WARMUP_SECONDS) },
        });
        expect(group().inputs.defaultInstanceWarmup).toBe(GATEWAY_INSTANCE_WARMUP_SECONDS);
        // a numbered version (the template's latest), which a rollback needs and $Latest would not refresh on
        expect(group().inputs.launchTemplate).toEqual({ id: template().id, version: String(template().outputs.latestVersion) });
    });

    it("registers the gateways in the gateway and WebSocket target groups only", () => {
        const byKey = (key: string) => prod.ofType(T.targetGroup).find((g) => g.inputs.tags["wso2:targetGroup"] === key)!.outputs.arn;
        expect([...group().inputs.targetGroupArns].sort()).toEqual([byKey("gateway"), byKey("websocket")].sort());
    });

    /** What a gateway's boot uses that the group's inputs do not bring, and why; <z> is each zone's number. */
    const BOOT_NEEDS: Readonly<Record<string, string>> = {
        "wso2-network-private-<z>-default": "each subnet's default route through NAT: packages, the pack, AWS APIs",
        "wso2-network-private-<z>-rta": "puts that route on the subnet",
        "wso2-sg-gateway-out-443-0-0-0-0-0": "HTTPS out",
        "wso2-sg-vpc-endpoint-in-443-gateway": "the endpoints admitting the gateways (prod has VPC endpoints)",
        "wso2-secrets-gateway-secret-value": "their secret's value, read by the first boot step",
        "wso2-boot-policy": "the boot bucket's TLS-only policy, in place before the first read",
        "wso2-gateways-identity-policy": "the role's rights to read the boot script and the secret, and to write logs",
    };

    it("starts gateways only once what their boot uses is there, and never waits for the pair", () => {
        const waitsFor = new Set(group().dependsOn);
        const expected = Object.keys(BOOT_NEEDS).flatMap((name) => (name.includes("<z>") ? ["1", "2"].map((z) => name.replace("<z>", z)) : [name]));
        expect(expected.filter((name) => !waitsFor.has(name))).toEqual([]);
        for (const endpoint of prod.ofType(T.vpcEndpoint)) expect(waitsFor).toContain(endpoint.name);
        expect(waitsFor).not.toContain("wso2-secrets-secret-value");
        const closure = prod.dependencyClosure(group().name);
        const pair = prod.resources.filter((r: RecordedResource) => r.type === T.instance || r.type === T.rds || /^wso2-apim-\d+-healthy$/.test(r.name));
        expect(pair.map((r) => r.name).filter((name) => closure.has(name))).toEqual([]);
    });
});

describe("scaling", () => {
    it("tracks the gateways' average CPU at gatewayTargetCpuPercent", () => {
        const [policy] = prod.ofType(T.scalingPolicy);
        expect(policy.name).toBe(`${FLEET}-cpu-target`);
        expect(policy.inputs).toEqual({
            autoscalingGroupName: group().outputs.name,
            policyType: "TargetTrackingScaling",
            targetTrackingConfiguration: { predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" }, targetValue: 60, disableScaleIn: false },
        });
    });
});

describe("the gateways' identity", () => {
    const statements = () => JSON.parse(prod.named(`${FLEET}-identity-policy`).inputs.policy).Statement;

    it("reads only the gateways' own secret and the boot scripts, decrypts through Secrets Manager and S3 only, writes its own log group and namespace; no file system", () => {
        const actions = statements().flatMap((s: { Action: string[] }) => s.Action).sort();
        expect(actions).toEqual(["cloudwatch:PutMetricData", "kms:Decrypt", "kms:Decrypt", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "s3:GetObject", "secretsmanager:GetSecretValue"]);
        const find = (action: string) => statements().find((s: { Action: string[] }) => s.Action.includes(action));
        expect(find("secretsmanager:GetSecretValue").Resource).toEqual([gatewaySecretArn()]);
        expect(JSON.stringify(statements())).not.toContain(stackSecretArn());
        expect(find("s3:GetObject").Resource).toEqual([`${prod.named("wso2-boot-bucket").outputs.arn}/boot/*`]);
        const logGroup = prod.named(`${FLEET}-identity-logs`);
        expect(find("logs:PutLogEvents").Resource).toEqual([logGroup.outputs.arn, `${logGroup.outputs.arn}:log-stream:*`]);
        expect(find("cloudwatch:PutMetricData").Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "wso2-apim-ha/prod/gateways" } });
        const via = statements().filter((s: { Action: string[] }) => s.Action.includes("kms:Decrypt")).map((s: any) => s.Condition.StringEquals["kms:ViaService"]);
        expect(via.sort()).toEqual(["s3.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"]);
    });

    it("is managed by Session Manager, and logs to its own group under the stack key, kept as long as the nodes' logs", () => {
        const attachments = prod.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.parent === `${FLEET}-identity`);
        expect(attachments.map((a) => a.inputs.policyArn)).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        const logs = prod.named(`${FLEET}-identity-logs`).inputs;
        expect(logs).toMatchObject({ name: "/wso2-apim-ha/prod/gateways", kmsKeyId: prod.ofType(T.kmsKey)[0].outputs.arn });
        expect(logs.retentionInDays).toBe(prod.named("wso2-node-identity-logs").inputs.retentionInDays);
        expect(prod.named(`${FLEET}-identity-role`).inputs.description).toBe("WSO2 Universal Gateways");
    });
});

describe("the component's own checks", () => {
    it("reports every bad size at once", () => {
        expect(gatewayFleetProblems({ minSize: 2, maxSize: 6, targetCpuPercent: 60, subnetCount: 2, targetGroupCount: 2 })).toEqual([]);
        expect(gatewayFleetProblems({ minSize: 0, maxSize: 1.5, targetCpuPercent: 100, subnetCount: 0, targetGroupCount: 0 })).toEqual([
            "minSize must be a whole number of at least 1, got 0",
            "maxSize must be a whole number of at least minSize (0), got 1.5",
            "targetCpuPercent must be between 0 and 100, got 100",
            "subnetIds must name at least one private subnet",
            "targetGroups must name at least one target group",
        ]);
    });

    it("refuses bad arguments, or a stack without gateways, before creating anything", () => {
        const run = installOfflineMocks();
        const { GatewayFleet } = require("../../components/gatewayFleet") as { GatewayFleet: typeof GatewayFleetClass };
        const on = sampleConfig({ gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) });
        const common = {
            plan: planCluster(on),
            securityGroupId: "sg-0gateways",
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0stack",
            amiId: "ami-0al2023",
            secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wso2",
            keystoreCertificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            region: "eu-west-1",
            bootScript: { bucket: "wso2-boot", key: "boot/0/wso2am-bootstrap", sha256: "0".repeat(64) },
            bootArtifactsBucketArn: "arn:aws:s3:::wso2-boot",
            bootObjectPrefix: "boot/",
            logGroupName: "/wso2-apim-ha/test/gateways",
            logRetentionDays: 14,
            targetGroups: [],
        };
        const tooSmall = { ...on, gateways: { ...on.gateways, maxSize: 0 } } as typeof on;
        expect(() => new GatewayFleet("bad", { ...common, config: tooSmall, subnetIds: [] })).toThrow(
            "GatewayFleet bad: maxSize must be a whole number of at least minSize (2), got 0; subnetIds must name at least one private subnet; targetGroups must name at least one target group",
        );
        const off = sampleConfig();
        expect(() => new GatewayFleet("off", { ...common, config: off, plan: planCluster(off), subnetIds: ["subnet-1"] })).toThrow(/gatewaysEnabled is false/);
        expect(run.resources).toEqual([]);
    });
});

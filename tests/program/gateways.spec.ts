import type { RenderResult } from "../../scripts/render";
import { renderStack } from "../../scripts/render";
import { StackConfigError } from "../../lib/config/stackConfig";
import { PORTS } from "../../lib/plan/ports";
import { securityGroupRuleKey, securityGroupRules } from "../../lib/aws/securityGroupRules";
import { HEALTH_GATE_COMMAND, GATEWAY_BOOT_LOG_STREAM_PATTERN } from "../../lib/aws/rollingGate";
import { ProgramModel, T, nodeIndex, tempRenderDir } from "./programModel";
import { renderOnce } from "../support/sharedRender";
import { controlPlanePortsDialed } from "./gatewayPorts";

/**
 * Universal Gateways in the program: prod runs them, dev does not. The gateway host goes to the gateways'
 * Auto Scaling group only and the portal host to the pair only; the gateways reach the pair on exactly
 * what their configuration dials; the pair gets a control-plane name and certificate for them; bad
 * gateway settings are refused like the nodes' ones; and without gateways nothing about the pair changes.
 */
let prod: ProgramModel;
let prodResult: RenderResult;
let dev: ProgramModel;
const PORTAL = "api.apim.example.com";
const GATEWAY = "gw.apim.example.com";
const GROUP = "wso2-gateways-group";
const CONTROL_PLANE = "control-plane.apim.internal";
const UPGRADE = { Upgrade: "websocket", Connection: "Upgrade" };
/** Every port any WSO2 or system component could listen on, and the plain-text twins of the TLS ones. */
const ANY_PORT = [...new Set([...Object.values(PORTS), 22, 9611, 5672, 9763, 8280, 9099])].sort((a, b) => a - b);
const sorted = (ports: readonly number[]) => [...ports].sort((a, b) => a - b);

beforeAll(async () => {
    ({ model: prod, result: prodResult } = await renderOnce("prod"));
    ({ model: dev } = await renderOnce("dev"));
});

const targetGroupArn = (model: ProgramModel, key: string) => model.ofType(T.targetGroup).find((g) => g.inputs.tags?.["wso2:targetGroup"] === key)!.outputs.arn;

describe("routing with gateways (prod)", () => {
    const nodeIds = () => prod.instances().map((i) => i.id!).sort();

    it.each([
        ["an API call to the gateway host", GATEWAY, {}, PORTS.gatewayHttps],
        ["a WebSocket handshake to the gateway host", GATEWAY, UPGRADE, PORTS.websocketWss],
    ])("sends %s on 443 to that port on the gateways' group only, never to a node", (_label, host, headers, port) => {
        const route = prod.route(host, PORTS.loadBalancerHttps, headers)!;
        expect(route).toMatchObject({ targetPort: port, autoScalingGroups: [GROUP], instanceIds: [] });
        const { loadBalancer, gateway } = prod.groups();
        expect(prod.allows({ group: loadBalancer }, gateway!, port)).toBe(true);
    });

    it("sends the portal host (WebSocket handshakes included) to the pair only", () => {
        for (const headers of [{}, UPGRADE]) {
            expect(prod.route(PORTAL, PORTS.loadBalancerHttps, headers)).toMatchObject({
                targetPort: PORTS.portalHttps,
                instanceIds: nodeIds(),
                attachmentPorts: [PORTS.portalHttps],
                autoScalingGroups: [],
            });
        }
    });

    it("attaches each node to the portal target group only, and the pair's gates wait on it alone", () => {
        const portal = targetGroupArn(prod, "portal");
        for (const instance of prod.instances()) {
            const attachments = prod.ofType(T.attachment).filter((a) => a.inputs.targetId === instance.id);
            expect(attachments.map((a) => a.inputs.targetGroupArn)).toEqual([portal]);
            expect(prod.named(`wso2-apim-${nodeIndex(instance)}-healthy`).inputs.environment.TARGET_GROUP_ARNS).toBe(portal);
        }
        expect(prod.named("wso2-nodes-healthy").inputs.environment.TARGET_GROUP_ARNS).toBe(portal);
    });

    it("registers the gateways in the gateway and WebSocket target groups, the group's health checked there", () => {
        expect([...prod.named(GROUP).inputs.targetGroupArns].sort()).toEqual([targetGroupArn(prod, "gateway"), targetGroupArn(prod, "websocket")].sort());
        expect(prod.named(GROUP).inputs.healthCheckType).toBe("ELB");
    });
});

describe("security groups with gateways (prod)", () => {
    const groups = () => prod.groups() as Required<ReturnType<ProgramModel["groups"]>>;
    const openPorts = (from: string, to: string) => ANY_PORT.filter((p) => prod.allows({ group: from }, to, p));

    it("let the gateways reach the pair on exactly the ports their configuration dials, and nothing more", () => {
        const { gateway, node } = groups();
        const dialed = controlPlanePortsDialed();
        expect(dialed.length).toBeGreaterThan(0);
        expect(openPorts(gateway, node)).toEqual(sorted(dialed));
        // Mirrored on the nodes' side, from the gateways' group only (no address range).
        const fromGateways = prod.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === node && r.inputs.referencedSecurityGroupId === gateway);
        expect(sorted(fromGateways.map((r) => r.inputs.fromPort))).toEqual(sorted(dialed));
        expect(prod.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === node && r.inputs.cidrIpv4)).toEqual([]);
        // The pair never dials a gateway.
        expect(openPorts(node, gateway)).toEqual([]);
    });

    it("let the load balancer reach the gateways on their target ports and the health check's, and the nodes on the portal port only", () => {
        const { loadBalancer, gateway, node } = groups();
        expect(openPorts(loadBalancer, gateway)).toEqual(sorted([PORTS.gatewayHttps, PORTS.websocketWss, PORTS.portalHttps]));
        expect(openPorts(loadBalancer, node)).toEqual([PORTS.portalHttps]);
        // the port the target groups health-check on
        for (const g of prod.ofType(T.targetGroup)) expect(g.inputs.healthCheck.port).toBe(String(PORTS.portalHttps));
    });

    it("give the gateways nothing else: no other way in, HTTPS out, no database or file system", () => {
        const { gateway, loadBalancer, database, fileSystem } = groups();
        const ingress = prod.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === gateway);
        expect(new Set(ingress.map((r) => r.inputs.referencedSecurityGroupId))).toEqual(new Set([loadBalancer]));
        for (const port of ANY_PORT) expect(prod.allows({ cidr: "0.0.0.0/0" }, gateway, port)).toBe(false);
        const toRanges = prod.ofType(T.egress).filter((r) => r.inputs.securityGroupId === gateway && r.inputs.cidrIpv4);
        expect(toRanges.map((r) => `${r.inputs.cidrIpv4}:${r.inputs.fromPort}-${r.inputs.toPort}`)).toEqual(["0.0.0.0/0:443-443"]);
        expect(openPorts(gateway, database)).toEqual([]);
        expect(openPorts(gateway, fileSystem)).toEqual([]);
        for (const r of [...prod.ofType(T.ingress), ...prod.ofType(T.egress)].filter((r) => [r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId].includes(gateway))) {
            expect(r.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: r.inputs.toPort, description: expect.stringMatching(/\w{3}/) });
        }
    });
});

describe("the control plane's private name", () => {
    it("holds both nodes' private addresses, TTL 30, in the private zone, and moves only once both nodes' rolling gates have passed", () => {
        const record = prod.named("wso2-control-plane-dns");
        const zone = prod.ofType(T.zone).find((z) => z.inputs.name === "apim.internal")!;
        expect(record.inputs).toMatchObject({ name: CONTROL_PLANE, type: "A", ttl: 30, zoneId: zone.outputs.zoneId });
        expect([...record.inputs.records].sort()).toEqual(prod.instances().map((i) => i.outputs.privateIp).sort());
        expect(record.dependsOn).toEqual(expect.arrayContaining(["wso2-apim-1-healthy", "wso2-apim-2-healthy"]));
        // Nothing waits for the name: the gateways' boot looks it up until it answers.
        for (const r of prod.resources) expect([r.name, prod.dependencyClosure(r.name).has(record.name)]).toEqual([r.name, false]);
    });

    it("exists only with gateways", () => {
        expect(dev.ofType(T.record).filter((r) => String(r.inputs.name).startsWith("control-plane."))).toEqual([]);
    });
});

describe("the cluster certificate", () => {
    const keystoreNames = (model: ProgramModel) => model.ofType("tls:index/selfSignedCert:SelfSignedCert")[0].inputs.dnsNames;

    it("names control-plane.<zone> with gateways, so they can verify the pair behind that name", () => {
        expect(keystoreNames(prod)).toEqual([PORTAL, GATEWAY, "apim-1.apim.internal", "apim-2.apim.internal", CONTROL_PLANE, "localhost"]);
    });

    it("does not without gateways: a pair-only stack keeps its certificate", () => {
        expect(keystoreNames(dev)).toEqual(["api.dev.apim.example.com", "gw.dev.apim.example.com", "apim-1.apim.internal", "apim-2.apim.internal", "localhost"]);
    });
});

describe("the secrets with gateways", () => {
    const readable = (model: ProgramModel, policy: string) =>
        JSON.parse(model.named(policy).inputs.policy).Statement.filter((s: { Action: string[] }) => s.Action.includes("secretsmanager:GetSecretValue")).flatMap((s: { Resource: string[] }) => s.Resource);

    it("gives the gateways a secret of their own, without the database passwords; the nodes keep the stack secret", () => {
        expect(prod.ofType(T.secret).map((s) => s.name).sort()).toEqual(["wso2-secrets-gateway-secret", "wso2-secrets-secret"]);
        expect(readable(prod, "wso2-gateways-identity-policy")).toEqual([prod.named("wso2-secrets-gateway-secret").outputs.arn]);
        expect(readable(prod, "wso2-node-identity-policy")).toEqual([prod.named("wso2-secrets-secret").outputs.arn]);
    });

    it("dev, without gateways, has the one stack secret", () => {
        expect(dev.ofType(T.secret).map((s) => s.name)).toEqual(["wso2-secrets-secret"]);
    });
});

describe("the gateways' health gate", () => {
    it("waits for the group's instance refresh and healthy gateways in both target groups, reading their boot logs, and reruns for every new template version", () => {
        const gate = prod.named("wso2-gateways-healthy");
        const group = prod.named(GROUP);
        const template = prod.named("wso2-gateways-template");
        expect(gate.type).toBe(T.gate);
        expect(gate.inputs.create).toBe(HEALTH_GATE_COMMAND);
        expect(gate.inputs.environment).toMatchObject({
            GATE_MODE: "group",
            AWS_REGION: "eu-west-1",
            ASG_NAME: group.outputs.name,
            MIN_SIZE: "2",
            LOG_GROUP_NAME: "/wso2-apim-ha/prod/gateways",
            BOOT_LOG_STREAM_PATTERN: GATEWAY_BOOT_LOG_STREAM_PATTERN,
        });
        expect(gate.inputs.environment.TARGET_GROUP_ARNS.split(" ").sort()).toEqual([targetGroupArn(prod, "gateway"), targetGroupArn(prod, "websocket")].sort());
        expect(Number(gate.inputs.environment.TIMEOUT_SECONDS)).toBeGreaterThan(0);
        expect(gate.inputs.triggers).toEqual([template.outputs.latestVersion, group.outputs.name]);
        expect(gate.dependsOn).toContain(GROUP);
    });

    it("arms the alarms only once the gateways serve too", () => {
        for (const alarm of prod.ofType(T.alarm)) expect(alarm.dependsOn).toEqual(expect.arrayContaining(["wso2-nodes-healthy", "wso2-gateways-healthy"]));
    });

    it("names the group in the stack outputs", () => {
        expect(prodResult.outputs.gatewayAutoScalingGroupName).toBe(prod.named(GROUP).outputs.name);
    });
});

describe("the gateways' alarms (prod)", () => {
    const alarm = (key: string) => prod.named(`wso2-operations-${key}`).inputs;

    it("page when fewer gateways than gatewayMinSize are in service, and when the group sits at gatewayMaxSize, each saying what to do first", () => {
        const dimensions = { AutoScalingGroupName: prod.named(GROUP).outputs.name };
        expect(alarm("gateways-in-service")).toMatchObject({
            namespace: "AWS/AutoScaling",
            metricName: "GroupInServiceInstances",
            dimensions,
            comparisonOperator: "LessThanThreshold",
            threshold: 2,
            treatMissingData: "breaching",
            alarmDescription: expect.stringMatching(/ First: aws autoscaling describe-scaling-activities/),
        });
        expect(alarm("gateways-at-maximum")).toMatchObject({
            namespace: "AWS/AutoScaling",
            metricName: "GroupInServiceInstances",
            dimensions,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 6,
            alarmDescription: expect.stringMatching(/ First: .*raise gatewayMaxSize/),
        });
        // gateways, not nodes, behind the target groups they serve
        expect(alarm("gateway-healthy-hosts").threshold).toBe(2);
        expect(alarm("websocket-healthy-hosts").threshold).toBe(2);
    });

    it("draws both on the dashboard", () => {
        const titles = JSON.parse(prod.ofType(T.dashboard)[0].inputs.dashboardBody).widgets.map((w: any) => w.properties.title);
        for (const key of ["gateways-in-service", "gateways-at-maximum"]) expect(titles).toContain(alarm(key).alarmDescription.split(". ")[0]);
    });
});

/** As stacks.spec.ts does for the nodes: the mocks answer EC2's facts for a few types and refuse others as EC2 does. */
describe("bad gateway settings, before anything is built", () => {
    const GATEWAYS_ON = { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) };
    // dev's own warnings (placeholder checksums, self-signed certificate) are not what these tests are about
    beforeAll(() => jest.spyOn(console, "warn").mockImplementation(() => undefined));
    afterAll(() => jest.restoreAllMocks());

    async function problemsOf(configOverrides: Record<string, unknown>): Promise<{ key: string; message: string }[]> {
        try {
            await renderStack("dev", { outDir: tempRenderDir("gateway-type"), configOverrides: { ...GATEWAYS_ON, ...configOverrides } });
        } catch (err) {
            expect(err).toBeInstanceOf(StackConfigError);
            return [...(err as StackConfigError).problems];
        }
        throw new Error(`expected ${JSON.stringify(configOverrides)} to be refused`);
    }

    it("refuses a gateway instance type EC2 does not have, in one message with the nodes' problems", async () => {
        expect(await problemsOf({ gatewayInstanceType: "c6i.huge", instanceType: "m6i.huge" })).toEqual([
            { key: "instanceType", message: expect.stringMatching(/^unknown instance type "m6i\.huge"/) },
            { key: "gatewayInstanceType", message: expect.stringMatching(/^unknown instance type "c6i\.huge"/) },
        ]);
    });

    it("refuses a gateway heap the gateway type's memory cannot hold", async () => {
        expect(await problemsOf({ gatewayInstanceType: "c6i.large", gatewayJvmHeapSizeMb: 4096 })).toEqual([
            { key: "gatewayJvmHeapSizeMb", message: expect.stringMatching(/^4096 MiB does not fit c6i\.large \(2 vCPU, 4096 MiB of memory\): at most 2048 MiB/) },
        ]);
    });

    it("refuses a gateway type that cannot run the nodes' image", async () => {
        expect(await problemsOf({ gatewayInstanceType: "m6g.large" })).toEqual([
            { key: "gatewayInstanceType", message: "m6g.large runs arm64, but the gateways' image would be looked up for x86_64" },
        ]);
    });
});

describe("without gateways (dev), the pair is as it was", () => {
    it("creates no gateway, group, template, policy, role, log group, security group or control-plane name", () => {
        for (const type of [T.autoScalingGroup, T.launchTemplate, T.scalingPolicy, "wso2-apim-ha:gatewayFleet:GatewayFleet"]) expect([type, dev.ofType(type)]).toEqual([type, []]);
        expect(dev.resources.filter((r) => /gateways|control-plane|sg-gateway/.test(r.name))).toEqual([]);
        expect(dev.groups().gateway).toBeUndefined();
    });

    it("still attaches every node to every target group, and gates on all three", () => {
        const arns = dev.ofType(T.targetGroup).map((g) => g.outputs.arn).sort();
        for (const instance of dev.instances()) {
            expect(dev.ofType(T.attachment).filter((a) => a.inputs.targetId === instance.id).map((a) => a.inputs.targetGroupArn).sort()).toEqual(arns);
        }
        expect(dev.named("wso2-nodes-healthy").inputs.environment.TARGET_GROUP_ARNS.split(" ").sort()).toEqual(arns);
    });

    it("opens exactly the pair-only rule table", () => {
        const rules = [...dev.ofType(T.ingress), ...dev.ofType(T.egress)].map((r) => r.name.replace(/^wso2-sg-/, "")).sort();
        expect(rules).toEqual(securityGroupRules(["0.0.0.0/0"]).map(securityGroupRuleKey).sort());
    });
});

import { PORTS, NODE_TO_NODE_PORTS, HEALTH_CHECK_PATH } from "../../lib/plan/ports";
import { ProgramModel, T } from "./programModel";
import { renderOnce } from "../support/sharedRender";

/** The dev stack end to end: who reaches which port on which node, from where. */
let model: ProgramModel;
const PORTAL = "api.dev.apim.example.com";
const GATEWAY = "gw.dev.apim.example.com";

beforeAll(async () => {
    ({ model } = await renderOnce("dev"));
});

describe("load balancer routing", () => {
    const instanceIds = () => model.instances().map((i) => i.id!).sort();
    const upgrade = { Upgrade: "websocket", Connection: "Upgrade" };

    it.each([
        ["a portal request", PORTAL, {}, PORTS.portalHttps],
        ["an API request to the gateway host", GATEWAY, {}, PORTS.gatewayHttps],
        ["a WebSocket handshake to the gateway host", GATEWAY, upgrade, PORTS.websocketWss],
        ["a WebSocket handshake spelled in capitals", GATEWAY, { UPGRADE: "WebSocket" }, PORTS.websocketWss],
        ["a request with another Upgrade to the gateway host", GATEWAY, { Upgrade: "h2c" }, PORTS.gatewayHttps],
        ["a WebSocket handshake to the portal host", PORTAL, upgrade, PORTS.portalHttps],
    ])("sends %s on 443 to that port on every node", (_label, host, headers, nodePort) => {
        const route = model.route(host, PORTS.loadBalancerHttps, headers);
        expect(route).toBeDefined();
        expect(route!.targetPort).toBe(nodePort);
        expect(route!.attachmentPorts).toEqual([nodePort]);
        expect(route!.instanceIds).toEqual(instanceIds());
        expect(route!.instanceIds).toHaveLength(2);
    });

    it("routes nothing else: no listener on the WebSocket port, three rules on 443", () => {
        expect(model.route(GATEWAY, PORTS.websocketWss, upgrade)).toBeUndefined();
        expect(model.route("unknown.example.com", PORTS.loadBalancerHttps, upgrade)).toBeUndefined();
        expect(model.ofType(T.listenerRule)).toHaveLength(3);
    });

    it("answers unknown hosts with 404 and only redirects plain HTTP", () => {
        const listeners = model.ofType(T.listener);
        expect(listeners.map((l) => l.inputs.port).sort((a, b) => a - b)).toEqual([PORTS.loadBalancerHttp, PORTS.loadBalancerHttps]);
        for (const listener of listeners) {
            const [action] = listener.inputs.defaultActions;
            if (listener.inputs.port === PORTS.loadBalancerHttp) {
                expect(listener.inputs.protocol).toBe("HTTP");
                expect(action).toMatchObject({ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } });
                expect(model.ofType(T.listenerRule).some((r) => r.inputs.listenerArn === listener.outputs.arn)).toBe(false);
            } else {
                expect(listener.inputs).toMatchObject({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
                expect(listener.inputs.certificateArn).toMatch(/^arn:aws:acm:/);
                expect(action).toMatchObject({ type: "fixed-response", fixedResponse: { statusCode: "404" } });
            }
        }
    });

    it("health-checks every target group on WSO2's startup check over HTTPS", () => {
        for (const group of model.ofType(T.targetGroup)) {
            expect(group.inputs.protocol).toBe("HTTPS");
            expect(group.inputs.healthCheck).toMatchObject({ protocol: "HTTPS", port: String(PORTS.portalHttps), path: HEALTH_CHECK_PATH, matcher: "200" });
        }
    });

    it("keeps portal sessions on one node and nothing else sticky", () => {
        const sticky = model.ofType(T.targetGroup).filter((g) => g.inputs.stickiness?.enabled);
        expect(sticky.map((g) => g.inputs.port)).toEqual([PORTS.portalHttps]);
        expect(sticky[0].inputs.stickiness.type).toBe("lb_cookie");
    });

    it("is internet-facing in two zones, passes API clients' headers (api_key) on, and blocks only requests that can desync it", () => {
        const [alb] = model.ofType(T.alb);
        // strictest would answer 400 to merely sloppy requests; dropping header fields would lose api_key and x_correlation_id
        expect(alb.inputs).toMatchObject({ internal: false, dropInvalidHeaderFields: false, desyncMitigationMode: "defensive" });
        const zones = alb.inputs.subnets.map((id: string) => model.byId(T.subnet, id).outputs.availabilityZone);
        expect(new Set(zones).size).toBeGreaterThanOrEqual(2);
    });
});

describe("network reachability", () => {
    const internet = { cidr: "0.0.0.0/0" };
    const wsoPorts = Object.values(PORTS);

    it("lets the internet reach 443 and 80 only: the load balancer's security group and its listeners agree", () => {
        const groups = Object.values(model.groups());
        const open = [...new Set([...wsoPorts, 22, 3389])].filter((p) => groups.some((g) => model.allows(internet, g, p)));
        expect(open.sort((a, b) => a - b)).toEqual([PORTS.loadBalancerHttp, PORTS.loadBalancerHttps]);
        const listening = model.ofType(T.listener).map((l) => l.inputs.port as number);
        expect(listening.sort((a, b) => a - b)).toEqual([PORTS.loadBalancerHttp, PORTS.loadBalancerHttps]);
        // Every world-open rule belongs to the load balancer's group.
        const worldOpen = model.ofType(T.ingress).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
        expect(new Set(worldOpen.map((r) => r.inputs.securityGroupId))).toEqual(new Set([model.groups().loadBalancer]));
    });

    it("lets the load balancer reach the nodes on the three target ports only", () => {
        const { loadBalancer, node } = model.groups();
        const open = [...wsoPorts, 22].filter((p) => model.allows({ group: loadBalancer }, node, p));
        expect(open.sort((a, b) => a - b)).toEqual([PORTS.gatewayHttps, PORTS.websocketWss, PORTS.portalHttps].sort((a, b) => a - b));
    });

    it("never lets the internet reach a node, the database or the file system", () => {
        const { node, database, fileSystem } = model.groups();
        for (const group of [node, database, fileSystem]) {
            for (const port of [...wsoPorts, 22]) expect(model.allows(internet, group, port)).toBe(false);
            const cidrIngress = model.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === group && r.inputs.cidrIpv4);
            expect(cidrIngress).toEqual([]);
        }
    });

    it("lets nodes reach the database on 3306 and the file system on 2049, and nothing else there", () => {
        const { loadBalancer, node, database, fileSystem } = model.groups();
        expect(model.allows({ group: node }, database, PORTS.mysql)).toBe(true);
        expect(model.allows({ group: node }, fileSystem, PORTS.nfs)).toBe(true);
        expect(model.allows({ group: loadBalancer }, database, PORTS.mysql)).toBe(false);
        expect(model.allows({ group: loadBalancer }, fileSystem, PORTS.nfs)).toBe(false);
        expect(model.allows({ group: node }, database, PORTS.nfs)).toBe(false);
    });

    it("opens throttling and broker ports between nodes only", () => {
        const { loadBalancer, node } = model.groups();
        for (const port of NODE_TO_NODE_PORTS) {
            expect(model.allows({ group: node }, node, port)).toBe(true);
            expect(model.allows({ group: loadBalancer }, node, port)).toBe(false);
        }
    });

    it("describes every security group and rule", () => {
        for (const r of [...model.ofType(T.securityGroup), ...model.ofType(T.ingress), ...model.ofType(T.egress)]) {
            expect(typeof r.inputs.description === "string" && r.inputs.description.length > 0).toBe(true);
        }
    });
});

describe("nodes", () => {
    it("run in private subnets of different availability zones, without public addresses", () => {
        const instances = model.instances();
        const albSubnets: string[] = model.ofType(T.alb)[0].inputs.subnets;
        const zones = instances.map((i) => {
            expect(i.inputs.associatePublicIpAddress).toBe(false);
            expect(albSubnets).not.toContain(i.inputs.subnetId);
            return model.byId(T.subnet, i.inputs.subnetId).outputs.availabilityZone;
        });
        expect(new Set(zones).size).toBe(instances.length);
    });

    it("each get a stable private name pointing at the instance", () => {
        const zone = model.ofType(T.zone).find((z) => z.inputs.name === "apim.internal")!;
        for (const instance of model.instances()) {
            const record = model.ofType(T.record).find((r) => r.inputs.name === `${instance.inputs.tags["wso2:node"]}.apim.internal`);
            expect(record?.inputs).toMatchObject({ type: "A", ttl: 30, zoneId: zone.outputs.zoneId, records: [instance.outputs.privateIp] });
        }
    });
});

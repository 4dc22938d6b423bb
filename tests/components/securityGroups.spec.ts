import { installOfflineMocks, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { PORTS, NODE_TO_NODE_PORTS, GATEWAY_TO_CONTROL_PLANE_PORTS } from "../../lib/plan/ports";
import { securityGroupRules, securityGroupRuleKey, isGatewayBootRule } from "../../lib/aws/securityGroupRules";
import { ofType, resolve, settle, tree } from "../support/componentRun";
import type { SecurityGroups as SecurityGroupsClass } from "../../components/securityGroups";

type Role = "loadBalancer" | "node" | "database" | "fileSystem" | "gateway" | "vpcEndpoint";

/** A rule as a reader of the AWS console would see it: which group, which way, which port, from/to where. */
interface Flow {
    group: Role;
    direction: "ingress" | "egress";
    port: number;
    peer: string; // a CIDR or a role
    description: string;
    resource: RecordedResource;
}

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const GROUP = "aws:ec2/securityGroup:SecurityGroup";
const WORLD = "0.0.0.0/0";
/** Non-empty and within the characters and length EC2 accepts for group and rule descriptions. */
const AWS_DESCRIPTION = /^(?=.*[A-Za-z]{3})[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{10,255}$/;
const LB_TARGETS = [PORTS.portalHttps, PORTS.gatewayHttps, PORTS.websocketWss];

let run: OfflineRun;
const flows: Record<string, Flow[]> = {};
const groups: Record<string, RecordedResource[]> = {};

const bootRules: Record<string, string[]> = {};

async function deploy(name: string, allowedClientCidrs: string[], vpcEndpoints?: boolean, gateways?: boolean): Promise<void> {
    const { SecurityGroups } = require("../../components/securityGroups") as { SecurityGroups: typeof SecurityGroupsClass };
    const sgs = new SecurityGroups(name, { vpcId: "vpc-0123456789abcdef0", allowedClientCidrs, vpcEndpoints, gateways });
    const roleOf: Record<string, Role> = {
        [await resolve(sgs.loadBalancerSgId)]: "loadBalancer",
        [await resolve(sgs.nodeSgId)]: "node",
        [await resolve(sgs.databaseSgId)]: "database",
        [await resolve(sgs.fileSystemSgId)]: "fileSystem",
    };
    if (sgs.vpcEndpointSgId) roleOf[await resolve(sgs.vpcEndpointSgId)] = "vpcEndpoint";
    if (sgs.gatewaySgId) roleOf[await resolve(sgs.gatewaySgId)] = "gateway";
    await settle();
    bootRules[name] = sgs.gatewayBootRules.map((r) => (r as unknown as { __name: string }).__name);
    const resources = tree(run, name);
    groups[name] = ofType(resources, GROUP);
    flows[name] = resources
        .filter((r) => r.type === INGRESS || r.type === EGRESS)
        .map((r) => {
            expect(r.inputs.ipProtocol).toBe("tcp");
            expect(r.inputs.fromPort).toBe(r.inputs.toPort);
            const peer = r.inputs.cidrIpv4 ?? roleOf[r.inputs.referencedSecurityGroupId];
            expect(peer).toBeDefined();
            return {
                group: roleOf[r.inputs.securityGroupId],
                direction: r.type === INGRESS ? "ingress" : "egress",
                port: r.inputs.fromPort,
                peer,
                description: r.inputs.description,
                resource: r,
            } as Flow;
        });
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("open", [WORLD]);
    await deploy("restricted", ["203.0.113.0/24", "198.51.100.0/24"]);
    await deploy("endpoints", [WORLD], true);
    await deploy("gateways", [WORLD], true, true);
});

const ports = (fs: Flow[]) => [...new Set(fs.map((f) => f.port))].sort((a, b) => a - b);
const sorted = (ps: readonly number[]) => [...ps].sort((a, b) => a - b);

describe.each(["open", "restricted"])("security groups (%s)", (name) => {
    const f = () => flows[name];

    test("four groups, each described, with no inline rules", () => {
        expect(groups[name]).toHaveLength(4);
        for (const g of groups[name]) {
            expect(g.inputs.description).toMatch(AWS_DESCRIPTION);
            expect(g.inputs.ingress ?? []).toEqual([]);
            expect(g.inputs.egress ?? []).toEqual([]);
        }
    });

    test("every rule has a description", () => {
        expect(f().length).toBeGreaterThan(0);
        for (const flow of f()) expect(flow.description).toMatch(AWS_DESCRIPTION);
    });

    test("only the load balancer takes traffic from client CIDRs, on 443 and 80 only", () => {
        const fromCidrs = f().filter((x) => x.direction === "ingress" && x.peer.includes("/"));
        expect(new Set(fromCidrs.map((x) => x.group))).toEqual(new Set(["loadBalancer"]));
        expect(ports(fromCidrs)).toEqual(sorted([PORTS.loadBalancerHttps, PORTS.loadBalancerHttp]));
    });

    test("nodes, database and file system are never reachable from an address range", () => {
        for (const group of ["node", "database", "fileSystem"]) {
            const ingress = f().filter((x) => x.group === group && x.direction === "ingress");
            expect(ingress.length).toBeGreaterThan(0);
            for (const x of ingress) expect(x.peer).not.toContain("/");
        }
    });

    test("the load balancer reaches the nodes only on the portal, gateway and WebSocket ports", () => {
        const lbOut = f().filter((x) => x.group === "loadBalancer" && x.direction === "egress");
        expect(new Set(lbOut.map((x) => x.peer))).toEqual(new Set(["node"]));
        expect(ports(lbOut)).toEqual(sorted(LB_TARGETS));
        const nodeInFromLb = f().filter((x) => x.group === "node" && x.direction === "ingress" && x.peer === "loadBalancer");
        expect(ports(nodeInFromLb)).toEqual(sorted(LB_TARGETS));
    });

    test("node ingress is the load balancer's three ports plus node-to-node ports from peers, nothing else", () => {
        const nodeIn = f().filter((x) => x.group === "node" && x.direction === "ingress");
        const allowed = new Set([...LB_TARGETS.map((p) => `loadBalancer:${p}`), ...NODE_TO_NODE_PORTS.map((p) => `node:${p}`)]);
        expect(new Set(nodeIn.map((x) => `${x.peer}:${x.port}`))).toEqual(allowed);
    });

    test("the TLS throttle and broker ports (9711, 8672) are open only between nodes, both ways", () => {
        for (const port of NODE_TO_NODE_PORTS) {
            const onPort = f().filter((x) => x.port === port);
            expect(onPort.map((x) => `${x.group}:${x.direction}:${x.peer}`).sort()).toEqual(["node:egress:node", "node:ingress:node"]);
        }
        // WSO2's plain-text twins (binary 9611, AMQP 5672) are open nowhere
        expect(f().filter((x) => x.port === 9611 || x.port === 5672)).toEqual([]);
    });

    test("MySQL and NFS are reachable only from the nodes", () => {
        const mysql = f().filter((x) => x.port === PORTS.mysql);
        expect(mysql.map((x) => `${x.group}:${x.direction}:${x.peer}`).sort()).toEqual(["database:ingress:node", "node:egress:database"]);
        const nfs = f().filter((x) => x.port === PORTS.nfs);
        expect(nfs.map((x) => `${x.group}:${x.direction}:${x.peer}`).sort()).toEqual(["fileSystem:ingress:node", "node:egress:fileSystem"]);
    });

    test("database and file system have no egress; nodes go to the internet on 443 only", () => {
        expect(f().filter((x) => (x.group === "database" || x.group === "fileSystem") && x.direction === "egress")).toEqual([]);
        const nodeToCidr = f().filter((x) => x.group === "node" && x.direction === "egress" && x.peer.includes("/"));
        expect(nodeToCidr.map((x) => `${x.peer}:${x.port}`)).toEqual([`${WORLD}:${PORTS.loadBalancerHttps}`]);
    });

    test("the component creates exactly the rules of the table", () => {
        const cidrs = name === "open" ? [WORLD] : ["203.0.113.0/24", "198.51.100.0/24"];
        expect(f()).toHaveLength(securityGroupRules(cidrs).length);
    });
});

test("0.0.0.0/0 ingress exists only when the stack allows the whole internet, and only on the load balancer", () => {
    const worldIn = (n: string) => flows[n].filter((x) => x.direction === "ingress" && x.peer === WORLD);
    expect(worldIn("restricted")).toEqual([]);
    expect(new Set(worldIn("open").map((x) => x.group))).toEqual(new Set(["loadBalancer"]));
    for (const cidr of ["203.0.113.0/24", "198.51.100.0/24"]) {
        const fromCidr = flows.restricted.filter((x) => x.direction === "ingress" && x.peer === cidr);
        expect(ports(fromCidr)).toEqual(sorted([PORTS.loadBalancerHttps, PORTS.loadBalancerHttp]));
    }
});

test("with vpcEndpoints, a fifth group admits HTTPS from the nodes and nothing else, and the other rules stay as they were", () => {
    expect(groups.endpoints).toHaveLength(5);
    expect(groups.open.map((g) => g.inputs.description)).not.toContain(expect.stringMatching(/endpoints/));
    const endpointFlows = flows.endpoints.filter((x) => x.group === "vpcEndpoint" || x.peer === "vpcEndpoint");
    expect(endpointFlows.map((x) => `${x.group}:${x.direction}:${x.port}:${x.peer}`)).toEqual(["vpcEndpoint:ingress:443:node"]);
    expect(endpointFlows[0].description).toMatch(AWS_DESCRIPTION);
    const others = (name: string) => flows[name].filter((x) => x.group !== "vpcEndpoint").map((x) => x.resource.name.replace(`${name}-`, "")).sort();
    expect(others("endpoints")).toEqual(others("open"));
});

test("rule names do not depend on the order of the client CIDRs", () => {
    const keys = (cidrs: string[]) => securityGroupRules(cidrs).map(securityGroupRuleKey).sort();
    expect(keys(["203.0.113.0/24", "198.51.100.0/24"])).toEqual(keys(["198.51.100.0/24", "203.0.113.0/24"]));
    const all = keys(["203.0.113.0/24", "198.51.100.0/24"]);
    expect(new Set(all).size).toBe(all.length);
});

test("an empty client list is refused", () => {
    expect(() => securityGroupRules([])).toThrow(/at least one/);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});

describe("with gateways (and VPC endpoints)", () => {
    const f = () => flows.gateways;
    const flowsOf = (pred: (x: Flow) => boolean) => f().filter(pred).map((x) => `${x.group}:${x.direction}:${x.port}:${x.peer}`).sort();
    const GATEWAY_LB_PORTS = [PORTS.gatewayHttps, PORTS.websocketWss, PORTS.portalHttps];

    test("a sixth group, described, for the gateways", () => {
        expect(groups.gateways).toHaveLength(6);
        for (const g of groups.gateways) expect(g.inputs.description).toMatch(AWS_DESCRIPTION);
        for (const flow of f()) expect(flow.description).toMatch(AWS_DESCRIPTION);
    });

    test("the load balancer reaches the gateways on the gateway and WebSocket ports and the health check's, and the nodes on the portal port only", () => {
        expect(flowsOf((x) => x.group === "loadBalancer" && x.direction === "egress")).toEqual(
            [...GATEWAY_LB_PORTS.map((p) => `loadBalancer:egress:${p}:gateway`), `loadBalancer:egress:${PORTS.portalHttps}:node`].sort(),
        );
        expect(flowsOf((x) => x.group === "gateway" && x.direction === "ingress")).toEqual(GATEWAY_LB_PORTS.map((p) => `gateway:ingress:${p}:loadBalancer`).sort());
    });

    test("the gateways reach the nodes on the control-plane ports only, mirrored on the nodes from the gateways' group, and HTTPS out", () => {
        expect(flowsOf((x) => x.group === "gateway" && x.direction === "egress")).toEqual(
            [...GATEWAY_TO_CONTROL_PLANE_PORTS.map((p) => `gateway:egress:${p}:node`), `gateway:egress:443:${WORLD}`].sort(),
        );
        expect(flowsOf((x) => x.group === "node" && x.direction === "ingress")).toEqual(
            [
                `node:ingress:${PORTS.portalHttps}:loadBalancer`,
                ...NODE_TO_NODE_PORTS.map((p) => `node:ingress:${p}:node`),
                ...GATEWAY_TO_CONTROL_PLANE_PORTS.map((p) => `node:ingress:${p}:gateway`),
            ].sort(),
        );
        // neither the database nor the file system admits the gateways
        expect(flowsOf((x) => (x.group === "database" || x.group === "fileSystem") && x.peer === "gateway")).toEqual([]);
    });

    test("the endpoints admit the gateways too, and a gateway's boot waits for exactly HTTPS out and that", () => {
        expect(flowsOf((x) => x.group === "vpcEndpoint")).toEqual(["vpcEndpoint:ingress:443:gateway", "vpcEndpoint:ingress:443:node"]);
        expect(bootRules.gateways.sort()).toEqual(["gateways-gateway-out-443-0-0-0-0-0", "gateways-vpc-endpoint-in-443-gateway"]);
        expect(bootRules.endpoints).toEqual([]);
        expect(securityGroupRules([WORLD], { gateways: true }).filter(isGatewayBootRule).map(securityGroupRuleKey)).toEqual(["gateway-out-443-0-0-0-0-0"]);
    });

    test("every rule that does not concern the gateways or the ports they took over stays as it was", () => {
        const moved = (x: Flow) => x.group === "gateway" || x.peer === "gateway" || ([PORTS.gatewayHttps, PORTS.websocketWss] as number[]).includes(x.port);
        const names = (name: string) => flows[name].filter((x) => !moved(x)).map((x) => x.resource.name.replace(`${name}-`, "")).sort();
        expect(names("gateways")).toEqual(names("endpoints"));
        expect(f()).toHaveLength(securityGroupRules([WORLD], { vpcEndpoints: true, gateways: true }).length);
    });
});

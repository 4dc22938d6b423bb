import { PORTS, NODE_TO_NODE_PORTS, GATEWAY_TO_CONTROL_PLANE_PORTS } from "../plan/ports";
import { GATEWAY_TARGET_GROUP_KEYS, TARGET_GROUPS, TARGET_HEALTH_CHECK } from "./loadBalancerRouting";

/**
 * Who may talk to whom, as data. The SecurityGroups component turns each row into one
 * aws.vpc.SecurityGroupIngressRule / SecurityGroupEgressRule, and tests read the same table.
 * Every rule is TCP on a single port.
 */

export type SecurityGroupRole = "loadBalancer" | "node" | "database" | "fileSystem" | "gateway" | "vpcEndpoint";

/** Options that add groups and rules to the base four. */
export interface SecurityGroupOptions {
    /** The VPC interface endpoints' group, admitting HTTPS from the nodes, and the gateways with them (the `vpcEndpoints` key). Default false. */
    readonly vpcEndpoints?: boolean;
    /**
     * The Universal Gateways' group (the `gatewaysEnabled` key): the gateways take the gateway host's traffic
     * and dial the pair's control plane; the load balancer then reaches the nodes on the portal port only.
     * Default false.
     */
    readonly gateways?: boolean;
}

/**
 * The groups a stack has: always load balancer, nodes, database, file system; the gateways' group with
 * gateways, the endpoints' group with vpcEndpoints.
 */
export function securityGroupRoles(options: SecurityGroupOptions = {}): SecurityGroupRole[] {
    return [
        "loadBalancer",
        "node",
        "database",
        "fileSystem",
        ...(options.gateways ? (["gateway"] as const) : []),
        ...(options.vpcEndpoints ? (["vpcEndpoint"] as const) : []),
    ];
}

/**
 * Group descriptions (AWS replaces a group when its description changes, so keep them stable). With
 * gateways the nodes' and endpoints' groups also admit the gateways; their rules' descriptions say so,
 * and the groups keep these so that turning gateways on replaces neither.
 */
export const SECURITY_GROUP_DESCRIPTIONS: Readonly<Record<SecurityGroupRole, string>> = {
    loadBalancer: "WSO2 API-M load balancer: HTTPS, HTTP redirect and secure WebSocket from allowed clients",
    node: "WSO2 API-M nodes: traffic from the load balancer and from peer nodes only",
    database: "WSO2 API-M RDS MySQL: reachable from the nodes only",
    fileSystem: "WSO2 API-M EFS shared artifacts: NFS from the nodes only",
    gateway: "WSO2 Universal Gateways: API traffic and health checks from the load balancer only",
    vpcEndpoint: "WSO2 API-M VPC interface endpoints: HTTPS from the nodes only",
};

export type RulePeer = { readonly kind: "cidr"; readonly cidr: string } | { readonly kind: "group"; readonly group: SecurityGroupRole };

export interface SecurityGroupRule {
    /** The group the rule belongs to. */
    readonly group: SecurityGroupRole;
    readonly direction: "ingress" | "egress";
    /** TCP port (from = to). */
    readonly port: number;
    /** Source for ingress, destination for egress. */
    readonly peer: RulePeer;
    readonly description: string;
}

const ANYWHERE = "0.0.0.0/0";

/** Ports the load balancer forwards to the nodes (portal, gateway, secure WebSocket). */
export const LOAD_BALANCER_TARGET_PORTS = [PORTS.portalHttps, PORTS.gatewayHttps, PORTS.websocketWss] as const;

const TARGET_PURPOSE: Readonly<Record<number, string>> = {
    [PORTS.portalHttps]: "portals HTTPS",
    [PORTS.gatewayHttps]: "gateway HTTPS",
    [PORTS.websocketWss]: "secure WebSocket",
};

const NODE_PEER_PURPOSE: Readonly<Record<number, string>> = {
    [PORTS.throttleBinarySsl]: "throttle events (binary over TLS)",
    [PORTS.jmsBrokerSsl]: "JMS broker (AMQP over TLS)",
};

const portOf = (key: string) => TARGET_GROUPS.find((t) => t.key === key)!.port;

/**
 * Ports the load balancer reaches the gateways on: their target groups' ports and the health check's (the
 * target groups check WSO2's startup check on the portal port, which the gateway pack serves too).
 */
export const GATEWAY_LOAD_BALANCER_PORTS: readonly number[] = [...new Set([...GATEWAY_TARGET_GROUP_KEYS.map(portOf), Number(TARGET_HEALTH_CHECK.port)])];

/** With gateways, the nodes serve the portal target group only: its port, which is also the health check's. */
const NODE_TARGET_PORTS_BESIDE_GATEWAYS: readonly number[] = [...new Set([portOf("portal"), Number(TARGET_HEALTH_CHECK.port)])];

const GATEWAY_TARGET_PURPOSE: Readonly<Record<number, string>> = {
    [PORTS.gatewayHttps]: "gateway HTTPS",
    [PORTS.websocketWss]: "secure WebSocket",
    [Number(TARGET_HEALTH_CHECK.port)]: "health checks (startup health check)",
};

const CONTROL_PLANE_PURPOSE: Readonly<Record<number, string>> = {
    [PORTS.portalHttps]: "key manager, event hub and throttling services (HTTPS)",
    [PORTS.jmsBrokerSsl]: "JMS broker for throttle decisions and revocations (AMQP over TLS)",
    [PORTS.throttleBinarySsl]: "throttle events to the traffic managers (binary over TLS)",
};

/** The only ports clients reach: HTTPS (WebSocket handshakes included) and HTTP, which only redirects. */
export const CLIENT_PORTS = [PORTS.loadBalancerHttps, PORTS.loadBalancerHttp] as const;

const CLIENT_PURPOSE: Readonly<Record<number, string>> = {
    [PORTS.loadBalancerHttps]: "HTTPS and secure WebSocket",
    [PORTS.loadBalancerHttp]: "HTTP (redirects to HTTPS)",
};

const group = (g: SecurityGroupRole): RulePeer => ({ kind: "group", group: g });
const cidr = (c: string): RulePeer => ({ kind: "cidr", cidr: c });

/** The complete rule set; nothing else opens a port. */
export function securityGroupRules(allowedClientCidrs: readonly string[], options: SecurityGroupOptions = {}): SecurityGroupRule[] {
    if (allowedClientCidrs.length === 0) throw new Error("securityGroupRules: at least one allowed client CIDR is required");
    const clients = [...new Set(allowedClientCidrs)];
    const rules: SecurityGroupRule[] = [];

    for (const port of CLIENT_PORTS) {
        for (const c of clients) {
            rules.push({ group: "loadBalancer", direction: "ingress", port, peer: cidr(c), description: `${CLIENT_PURPOSE[port]} from clients in ${c}` });
        }
    }
    for (const port of options.gateways ? NODE_TARGET_PORTS_BESIDE_GATEWAYS : LOAD_BALANCER_TARGET_PORTS) {
        rules.push({ group: "loadBalancer", direction: "egress", port, peer: group("node"), description: `To the nodes: ${TARGET_PURPOSE[port]} and health checks` });
        rules.push({ group: "node", direction: "ingress", port, peer: group("loadBalancer"), description: `From the load balancer: ${TARGET_PURPOSE[port]} and health checks` });
    }
    for (const port of NODE_TO_NODE_PORTS) {
        rules.push({ group: "node", direction: "ingress", port, peer: group("node"), description: `From peer nodes: ${NODE_PEER_PURPOSE[port]}` });
        rules.push({ group: "node", direction: "egress", port, peer: group("node"), description: `To peer nodes: ${NODE_PEER_PURPOSE[port]}` });
    }
    rules.push({
        group: "node",
        direction: "egress",
        port: PORTS.loadBalancerHttps,
        peer: cidr(ANYWHERE),
        description: "HTTPS out through NAT: packages, API-M distribution, JDBC driver, AWS APIs (SSM, Secrets Manager, EFS, logs)",
    });
    rules.push({ group: "node", direction: "egress", port: PORTS.mysql, peer: group("database"), description: "To RDS MySQL" });
    rules.push({ group: "node", direction: "egress", port: PORTS.nfs, peer: group("fileSystem"), description: "To EFS (NFS over TLS)" });
    rules.push({ group: "database", direction: "ingress", port: PORTS.mysql, peer: group("node"), description: "MySQL from the API-M nodes" });
    rules.push({ group: "fileSystem", direction: "ingress", port: PORTS.nfs, peer: group("node"), description: "NFS from the API-M nodes" });
    if (options.gateways) {
        for (const port of GATEWAY_LOAD_BALANCER_PORTS) {
            rules.push({ group: "loadBalancer", direction: "egress", port, peer: group("gateway"), description: `To the gateways: ${GATEWAY_TARGET_PURPOSE[port]}` });
            rules.push({ group: "gateway", direction: "ingress", port, peer: group("loadBalancer"), description: `From the load balancer: ${GATEWAY_TARGET_PURPOSE[port]}` });
        }
        for (const port of GATEWAY_TO_CONTROL_PLANE_PORTS) {
            rules.push({ group: "gateway", direction: "egress", port, peer: group("node"), description: `To the control plane nodes: ${CONTROL_PLANE_PURPOSE[port]}` });
            rules.push({ group: "node", direction: "ingress", port, peer: group("gateway"), description: `From the gateways: ${CONTROL_PLANE_PURPOSE[port]}` });
        }
        rules.push({
            group: "gateway",
            direction: "egress",
            port: PORTS.loadBalancerHttps,
            peer: cidr(ANYWHERE),
            description: "HTTPS out through NAT: packages, the Universal Gateway pack, AWS APIs (SSM, Secrets Manager, S3, logs)",
        });
    }
    if (options.vpcEndpoints) {
        // The nodes' HTTPS egress above already covers the endpoints' addresses inside the VPC.
        rules.push({ group: "vpcEndpoint", direction: "ingress", port: PORTS.loadBalancerHttps, peer: group("node"), description: "HTTPS from the API-M nodes to AWS APIs" });
        if (options.gateways) {
            rules.push({ group: "vpcEndpoint", direction: "ingress", port: PORTS.loadBalancerHttps, peer: group("gateway"), description: "HTTPS from the Universal Gateways to AWS APIs" });
        }
    }
    return rules;
}

/**
 * The rules a node's boot talks through before its database step (which waits for the database anyway):
 * HTTPS out (Secrets Manager, packages, downloads, logs) and NFS to the file system, at both ends.
 */
export function isNodeBootRule(rule: SecurityGroupRule): boolean {
    const httpsOut = rule.group === "node" && rule.direction === "egress" && rule.port === PORTS.loadBalancerHttps && rule.peer.kind === "cidr";
    const nfs =
        rule.port === PORTS.nfs &&
        ((rule.group === "node" && rule.direction === "egress") || (rule.group === "fileSystem" && rule.direction === "ingress"));
    return httpsOut || nfs;
}

/**
 * The rules a gateway's boot talks through before it waits for the control plane: HTTPS out (packages, the
 * pack, Secrets Manager, S3) and, with VPC endpoints, the endpoints admitting it.
 */
export function isGatewayBootRule(rule: SecurityGroupRule): boolean {
    const httpsOut = rule.group === "gateway" && rule.direction === "egress" && rule.port === PORTS.loadBalancerHttps && rule.peer.kind === "cidr";
    const endpoints = rule.group === "vpcEndpoint" && rule.direction === "ingress" && rule.peer.kind === "group" && rule.peer.group === "gateway";
    return httpsOut || endpoints;
}

/** Resource-name part of a group: load-balancer, node, database, file-system. */
export function securityGroupNamePart(role: SecurityGroupRole): string {
    return role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A resource-name part that stays the same when unrelated rules are added or the CIDR list is reordered. */
export function securityGroupRuleKey(rule: SecurityGroupRule): string {
    const peer = rule.peer.kind === "group" ? securityGroupNamePart(rule.peer.group) : rule.peer.cidr.replace(/[./]/g, "-");
    return `${securityGroupNamePart(rule.group)}-${rule.direction === "ingress" ? "in" : "out"}-${rule.port}-${peer}`;
}

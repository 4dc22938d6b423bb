import { PORTS, HEALTH_CHECK_PATH } from "../plan/ports";

/**
 * How the load balancer routes: host name (and, for WebSockets, the Upgrade header) → listener port →
 * target group → node port. Written once here so the component, the tests and the README read the same
 * table. Clients reach 443 and 80 only: WebSocket handshakes arrive on 443 like any other request.
 */

export type TargetGroupKey = "portal" | "gateway" | "websocket";

export interface TargetGroupSpec {
    readonly key: TargetGroupKey;
    /** Node port the target group sends traffic to (HTTPS; the node's self-signed certificate is not verified by the ALB). */
    readonly port: number;
    /** Portal sessions (carbon console login) break when requests move between nodes. */
    readonly stickiness: boolean;
    readonly description: string;
}

export const TARGET_GROUPS: readonly TargetGroupSpec[] = [
    { key: "portal", port: PORTS.portalHttps, stickiness: true, description: "publisher, devportal, admin and carbon" },
    { key: "gateway", port: PORTS.gatewayHttps, stickiness: false, description: "API gateway" },
    { key: "websocket", port: PORTS.websocketWss, stickiness: false, description: "WebSocket APIs (wss)" },
];

/**
 * The target groups Universal Gateways serve when the stack has them (the gateway host's API calls and
 * WebSocket handshakes); the pair's nodes then serve the portal group only.
 */
export const GATEWAY_TARGET_GROUP_KEYS: readonly TargetGroupKey[] = ["gateway", "websocket"];

export interface ListenerSpec {
    readonly port: number;
    /** "redirect": plain HTTP that only redirects to HTTPS 443. */
    readonly kind: "https" | "redirect";
}

export const LISTENERS: readonly ListenerSpec[] = [
    { port: PORTS.loadBalancerHttps, kind: "https" },
    { port: PORTS.loadBalancerHttp, kind: "redirect" },
];

/** A request header a rule requires besides the host; the ALB compares values case-insensitively. */
export interface HeaderMatch {
    readonly name: string;
    readonly values: readonly string[];
}

/** What a WebSocket opening handshake carries (RFC 6455): `Upgrade: websocket`. */
export const WEBSOCKET_UPGRADE: HeaderMatch = { name: "Upgrade", values: ["websocket"] };

export interface Route {
    readonly listenerPort: number;
    readonly host: string;
    /** Only requests that also carry this header; undefined: any request for the host. */
    readonly header?: HeaderMatch;
    readonly targetGroup: TargetGroupKey;
    readonly targetPort: number;
    /** Listener rule priority (unique per listener; the lowest matching rule wins). */
    readonly priority: number;
}

/**
 * Every listener rule. A WebSocket handshake for the gateway host goes to WSO2's WebSocket transport; the
 * rule sits before the gateway host's own rule, which takes everything else. A request matching no rule
 * gets the listener's fixed 404.
 */
export function loadBalancerRoutes(hostNames: { readonly portal: string; readonly gateway: string }): Route[] {
    const port = (key: TargetGroupKey) => TARGET_GROUPS.find((t) => t.key === key)!.port;
    const https = PORTS.loadBalancerHttps;
    return [
        { listenerPort: https, host: hostNames.portal, targetGroup: "portal", targetPort: port("portal"), priority: 10 },
        { listenerPort: https, host: hostNames.gateway, header: WEBSOCKET_UPGRADE, targetGroup: "websocket", targetPort: port("websocket"), priority: 15 },
        { listenerPort: https, host: hostNames.gateway, targetGroup: "gateway", targetPort: port("gateway"), priority: 20 },
    ];
}

/**
 * One health check for every target group: WSO2's startup health check on the portal port, so a node
 * counts as healthy only once the whole server (portals, gateway, key manager) has started.
 */
export const TARGET_HEALTH_CHECK = {
    protocol: "HTTPS",
    port: String(PORTS.portalHttps),
    path: HEALTH_CHECK_PATH,
    matcher: "200",
    interval: 15,
    timeout: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
} as const;

/** Seconds a deregistering node keeps its in-flight requests. */
export const DEREGISTRATION_DELAY_SECONDS = 60;
/** lb_cookie lifetime of the portal stickiness (the ALB default, one day). */
export const PORTAL_STICKINESS_SECONDS = 86400;
/**
 * Seconds the ALB keeps a connection with no data either way, client and target side, upgraded WebSockets
 * included (the ALB default is 60). Above WSO2's 120 s global endpoint timeout plus its 15 s check, so a
 * slow backend's error comes from the gateway, not an ALB 504; below the gateway's 180 s socket timeout,
 * which stays WSO2's because it also drives the gateway's backend read, connect and pool-idle timeouts.
 */
export const IDLE_TIMEOUT_SECONDS = 150;
/**
 * How much longer than the ALB every node listener it talks to keeps an idle connection, so the ALB always
 * closes first; a node closing first can meet a request the ALB just sent on it, which becomes a 502.
 */
export const TARGET_KEEP_ALIVE_MARGIN_SECONDS = 30;
/** The idle time node listeners must allow; the portal's Tomcat connector is set to it. */
export const TARGET_KEEP_ALIVE_SECONDS = IDLE_TIMEOUT_SECONDS + TARGET_KEEP_ALIVE_MARGIN_SECONDS;
/** The TLS 1.3 + 1.2 policy; the API default ELBSecurityPolicy-2016-08 still allows TLS 1.0. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

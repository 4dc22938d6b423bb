import { PORTS, HEALTH_CHECK_PATH } from "../plan/ports";

/**
 * How the load balancer routes: host name → listener port → target group → node port. Written once here
 * so the component, the tests and the README read the same table.
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

export interface ListenerSpec {
    readonly port: number;
    /** "redirect": plain HTTP that only redirects to HTTPS 443. */
    readonly kind: "https" | "redirect";
}

export const LISTENERS: readonly ListenerSpec[] = [
    { port: PORTS.loadBalancerHttps, kind: "https" },
    { port: PORTS.loadBalancerHttp, kind: "redirect" },
    { port: PORTS.websocketWss, kind: "https" },
];

export interface Route {
    readonly listenerPort: number;
    readonly host: string;
    readonly targetGroup: TargetGroupKey;
    readonly targetPort: number;
    /** Listener rule priority (unique per listener). */
    readonly priority: number;
}

/** Every host-header rule. A request matching none gets the listener's fixed 404. */
export function loadBalancerRoutes(hostNames: { readonly portal: string; readonly gateway: string }): Route[] {
    const port = (key: TargetGroupKey) => TARGET_GROUPS.find((t) => t.key === key)!.port;
    return [
        { listenerPort: PORTS.loadBalancerHttps, host: hostNames.portal, targetGroup: "portal", targetPort: port("portal"), priority: 10 },
        { listenerPort: PORTS.loadBalancerHttps, host: hostNames.gateway, targetGroup: "gateway", targetPort: port("gateway"), priority: 20 },
        { listenerPort: PORTS.websocketWss, host: hostNames.gateway, targetGroup: "websocket", targetPort: port("websocket"), priority: 10 },
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
/** Long enough for idle WebSocket connections and slow API backends; the ALB default is 60. */
export const IDLE_TIMEOUT_SECONDS = 300;
/** The TLS 1.3 + 1.2 policy; the API default ELBSecurityPolicy-2016-08 still allows TLS 1.0. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

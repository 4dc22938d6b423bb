/**
 * No 502s from keep-alive: every node listener the load balancer talks to must keep an idle connection open
 * longer than the load balancer does, or the ALB may send a request on a connection the node has just
 * closed. This reads each listener's idle limit back from the rendered deployment.toml of every supported
 * version and compares it with the idle timeout the load balancer component sets.
 */
import * as fs from "fs";
import * as path from "path";
import * as TOML from "@iarna/toml";
import { SUPPORTED_APIM_VERSIONS } from "../../lib/config/stackConfig";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderDeploymentToml } from "../../lib/node/deploymentToml";
import { renderGatewayDeploymentToml } from "../../lib/node/gatewayDeploymentToml";
import { PORTS } from "../../lib/plan/ports";
import {
    GATEWAY_TARGET_GROUP_KEYS,
    IDLE_TIMEOUT_SECONDS,
    TARGET_GROUPS,
    TARGET_HEALTH_CHECK,
    TARGET_KEEP_ALIVE_MARGIN_SECONDS,
} from "../../lib/aws/loadBalancerRouting";
import { sampleConfig } from "../support/sampleConfig";

type Toml = Record<string, any>;

/** Milliseconds as deployment.toml may hold them (number or string); -1 means no limit. */
const msToSeconds = (value: unknown): number => (Number(value) === -1 ? Infinity : Number(value) / 1000);

/**
 * How long each listener keeps an idle connection, from a node's deployment.toml; a key the file leaves
 * out falls back to WSO2's default, the same in API-M 4.5.0, 4.6.0 and 4.7.0, and the same in the
 * Universal Gateway pack (its own catalina-server.xml.j2, default.json and SecureWebSocketInboundEndpoint.xml.j2).
 */
const LISTENER_IDLE_SECONDS: Record<number, { readonly key: string; readonly idle: (toml: Toml) => number }> = {
    // catalina-server.xml.j2 writes every [transport.https.properties] key onto the 9443 connector; neither
    // WSO2's default.json nor the template sets a timeout, so Tomcat's own apply: keepAliveTimeout defaults
    // to connectionTimeout, which defaults to 60000 ms.
    [PORTS.portalHttps]: {
        key: "transport.https.properties.keepAliveTimeout",
        idle: (toml) => {
            const props = toml.transport?.https?.properties ?? {};
            return msToSeconds(props.keepAliveTimeout ?? props.connectionTimeout ?? 60000);
        },
    },
    // passthru-http.properties.j2 writes every [passthru_http] key; default.json sets 'http.socket.timeout'
    // to 180000 ms, the idle limit of the 8243 listener (and of the gateway's backend connections).
    [PORTS.gatewayHttps]: {
        key: "passthru_http.'http.socket.timeout'",
        idle: (toml) => msToSeconds(toml.passthru_http?.["http.socket.timeout"] ?? 180000),
    },
    // SecureWebSocketInboundEndpoint.xml.j2 adds ws.dispatch.idleTime / ws.outflow.dispatch.idleTime (seconds)
    // only when [apim.wss] sets them; unset (0) the 8099 listener has no idle limit of its own.
    [PORTS.websocketWss]: {
        key: "apim.wss.dispatch.idleTime / apim.wss.outflow.dispatch.idleTime",
        idle: (toml) => {
            const limits = [toml.apim?.wss?.dispatch?.idleTime, toml.apim?.wss?.outflow?.dispatch?.idleTime]
                .map(Number)
                .filter((s) => Number.isFinite(s) && s > 0);
            return limits.length ? Math.min(...limits) : Infinity;
        },
    },
};

function renderNodes(apimVersion: string): Toml[] {
    const config = sampleConfig({ apimVersion });
    const plan = planCluster(config);
    return plan.nodes.map((node) => TOML.parse(renderDeploymentToml(config, plan, node)) as Toml);
}

function renderGateway(apimVersion: string): Toml {
    const config = sampleConfig({ apimVersion, gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) });
    return TOML.parse(renderGatewayDeploymentToml(config, planCluster(config))) as Toml;
}

/** Whether a listener outlasts the ALB's idle timeout, and by the margin. */
function verdicts(toml: Toml, ports: readonly number[]) {
    return ports.map((port) => {
        const { key, idle } = LISTENER_IDLE_SECONDS[port];
        const seconds = idle(toml);
        return { port, key, seconds, outlastsAlb: seconds > IDLE_TIMEOUT_SECONDS, byMargin: seconds >= IDLE_TIMEOUT_SECONDS + TARGET_KEEP_ALIVE_MARGIN_SECONDS };
    });
}

describe("keep-alive between the load balancer and the nodes", () => {
    it("is the idle timeout the load balancer component gives the ALB", () => {
        const component = fs.readFileSync(path.join(__dirname, "..", "..", "components", "loadBalancer.ts"), "utf8");
        expect(component).toMatch(/\bidleTimeout:\s*IDLE_TIMEOUT_SECONDS\b/);
    });

    it("knows the idle limit of every port a target group sends to", () => {
        expect(TARGET_GROUPS.map((t) => t.port).sort()).toEqual(Object.keys(LISTENER_IDLE_SECONDS).map(Number).sort());
    });

    it.each(SUPPORTED_APIM_VERSIONS)("API-M %s: every node listener the ALB talks to outlasts its idle timeout by the margin", (version) => {
        expect(TARGET_KEEP_ALIVE_MARGIN_SECONDS).toBeGreaterThan(0);
        for (const toml of renderNodes(version)) {
            const found = verdicts(toml, TARGET_GROUPS.map(({ port }) => port));
            expect(found).toEqual(found.map((v) => ({ ...v, outlastsAlb: true, byMargin: true })));
        }
    });

    it.each(SUPPORTED_APIM_VERSIONS)("API-M %s: so does every Universal Gateway listener, the health-checked 9443 included", (version) => {
        const ports = [...TARGET_GROUPS.filter((t) => GATEWAY_TARGET_GROUP_KEYS.includes(t.key)).map((t) => t.port), Number(TARGET_HEALTH_CHECK.port)];
        const found = verdicts(renderGateway(version), ports);
        expect(found).toEqual(found.map((v) => ({ ...v, outlastsAlb: true, byMargin: true })));
    });
});

import { parseStackConfig, StackConfig } from "../../lib/config/stackConfig";
import { readStackFile } from "../../lib/config/stackFile";
import { ClusterPlan, planCluster } from "../../lib/plan/clusterPlan";
import { GATEWAY_TO_CONTROL_PLANE_PORTS, PORTS } from "../../lib/plan/ports";

/** What a port written as a WSO2 placeholder resolves to on a gateway (no port offset). */
const PLACEHOLDER_PORTS: Readonly<Record<string, number>> = { "${mgt.transport.https.port}": PORTS.portalHttps };
const SCHEME_PORTS: Readonly<Record<string, number>> = { https: 443, http: 80 };

/**
 * The ports of the pair a gateway dials: every URL in the prod stack's gateway deployment.toml
 * (lib/node/gatewayDeploymentToml.ts) that names the control plane or a node, or, where that renderer is
 * not in the checkout, the port table's list of them.
 */
export function controlPlanePortsDialed(): number[] {
    let render: ((config: StackConfig, plan: ClusterPlan) => string) | undefined;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        render = require("../../lib/node/gatewayDeploymentToml").renderGatewayDeploymentToml;
    } catch {
        render = undefined;
    }
    if (!render) return [...GATEWAY_TO_CONTROL_PLANE_PORTS];
    const config = parseStackConfig(readStackFile("prod").projectConfig);
    const plan = planCluster(config);
    const toml = render(config, plan);
    const hosts = [plan.gateways!.controlPlaneHostName, ...plan.nodes.map((n) => n.hostName)];
    const ports = new Set<number>();
    for (const host of hosts) {
        const url = new RegExp(`([a-z]+)://${host.replace(/[.]/g, "\\.")}(?::(\\d+|\\$\\{[^}]+\\}))?`, "g");
        for (const [, scheme, port] of toml.matchAll(url)) {
            const resolved = port === undefined ? SCHEME_PORTS[scheme] : /^\d+$/.test(port) ? Number(port) : PLACEHOLDER_PORTS[port];
            if (resolved === undefined) throw new Error(`gatewayPorts: cannot tell the port of ${scheme}://${host}${port ? `:${port}` : ""}`);
            ports.add(resolved);
        }
    }
    return [...ports];
}

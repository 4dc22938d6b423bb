import * as fs from "fs";
import * as path from "path";
import * as TOML from "@iarna/toml";
import { ApimVersion, StackConfig } from "../config/stackConfig";
import { ClusterPlan } from "../plan/clusterPlan";
import { PORTS } from "../plan/ports";
import { deploymentTomlSecretKeys } from "../plan/secretKeys";
import { TARGET_KEEP_ALIVE_SECONDS } from "../aws/loadBalancerRouting";
import {
    BASE_DEPLOYMENT_TOML,
    Table,
    analyticsValues,
    derivedDeploymentValues,
    encryptionValues,
    jmsBrokerUrl,
    keystoreValues,
    mergeToml,
    serverSecret,
    throttleUrlGroups,
} from "./deploymentToml";

export const BASE_GATEWAY_DEPLOYMENT_TOML = path.join(__dirname, "..", "..", "config-templates", "gateway-deployment.toml");

/**
 * WSO2's local H2 shared database, for the packs whose default.json has none: up to 4.6 the kernel's
 * default `governance_data.cache_id` refers to `database.shared_db.url` and `.username`, and an
 * unresolvable reference stops the config mapper. 4.7's default.json carries both H2 databases itself.
 * The account is the one WSO2 ships for its local H2 databases, by reference, so no password is written.
 */
const NEEDS_LOCAL_SHARED_DB: Record<ApimVersion, boolean> = { "4.5.0": true, "4.6.0": true, "4.7.0": false };

const localSharedDb = (): Table => ({
    type: "h2",
    url: "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE",
    username: "$ref{database.local.username}",
    password: "$ref{database.local.password}",
});

/**
 * The labels the pair's gateway environments publish to, read from the pair's own rendering so the
 * gateways can never subscribe to a label nothing is deployed on.
 */
function pairEnvironmentLabels(config: StackConfig, plan: ClusterPlan): string[] {
    const pair = mergeToml(TOML.parse(fs.readFileSync(BASE_DEPLOYMENT_TOML, "utf8")) as Table, derivedDeploymentValues(config, plan, plan.nodes[0]));
    const environments = (((pair.apim as Table | undefined)?.gateway as Table | undefined)?.environment ?? []) as Table[];
    const labels = environments.map((e) => e.name).filter((name): name is string => typeof name === "string");
    if (labels.length === 0) throw new Error("gateway deployment.toml: the pair's deployment.toml names no [[apim.gateway.environment]]");
    return labels;
}

/**
 * What a Universal Gateway derives: where the control plane is, and the same keystore and secrets as the
 * pair. The gateway keeps no state of its own: WSO2's local H2 databases only, no shared file system;
 * its APIs come from the control plane over the event hub.
 */
export function derivedGatewayValues(config: StackConfig, plan: ClusterPlan): Table {
    if (!plan.gateways) throw new Error("gateway deployment.toml: the stack has no Universal Gateways (gatewaysEnabled is false)");
    // The control plane's name resolves to both pair nodes, so neither is a single point of failure.
    const controlPlane = `https://${plan.gateways.controlPlaneHostName}:${PORTS.portalHttps}/services/`;
    const admin = { username: config.apim.adminUsername, password: serverSecret("adminPassword") };
    // One broker list is a failover list: the gateway subscribes to one pair broker at a time, which is
    // enough because each pair node's traffic manager receives every event and publishes it on its own broker.
    const brokers = plan.nodes.map((n) => jmsBrokerUrl(n.hostName));

    const values: Table = {
        server: { hostname: plan.hostNames.gateway },
        // Same keep-alive rule as the pair's 9443 (the load balancer health-checks the gateway there).
        transport: { https: { properties: { keepAliveTimeout: TARGET_KEEP_ALIVE_SECONDS * 1000 } } },
        super_admin: admin,
        ...keystoreValues(plan),
        apim: {
            key_manager: { service_url: controlPlane, ...admin },
            event_hub: {
                enable: true,
                service_url: controlPlane,
                ...admin,
                event_listening_endpoints: brokers,
                // jms.ssl: the listener's connection (api-manager.xml); ssl: jndi-cp.properties' publishers.
                ssl: true,
                jms: { ssl: true },
            },
            throttling: {
                service_url: controlPlane,
                ...admin,
                throttle_decision_endpoints: brokers,
                jms: { ssl: true },
                url_group: throttleUrlGroups(plan),
            },
            sync_runtime_artifacts: { gateway: { gateway_labels: pairEnvironmentLabels(config, plan) } },
        },
    };

    if (NEEDS_LOCAL_SHARED_DB[config.apim.version]) values.database = { shared_db: localSharedDb() };
    const encryption = encryptionValues(config);
    if (encryption) values.encryption = encryption;
    const analytics = analyticsValues(config);
    if (analytics) (values.apim as Table).analytics = analytics;
    return values;
}

/** The deployment.toml every Universal Gateway of the stack gets (they are identical and stateless). */
export function renderGatewayDeploymentToml(
    config: StackConfig,
    plan: ClusterPlan,
    baseToml: string = fs.readFileSync(BASE_GATEWAY_DEPLOYMENT_TOML, "utf8"),
): string {
    const merged = mergeToml(TOML.parse(baseToml) as Table, derivedGatewayValues(config, plan));
    const header = `# Universal Gateway: rendered by the wso2-apim-ha Pulumi program; edits on an instance are lost on replacement.\n`;
    return header + TOML.stringify(merged as TOML.JsonMap);
}

/** What the gateways' own secret holds: what their deployment.toml references, and the keystore. */
export function gatewaySecretKeys(config: StackConfig, plan: ClusterPlan): string[] {
    return deploymentTomlSecretKeys(renderGatewayDeploymentToml(config, plan));
}

import * as fs from "fs";
import * as path from "path";
import * as TOML from "@iarna/toml";
import { StackConfig } from "../config/stackConfig";
import { ClusterPlan, NodePlan, peersOf } from "../plan/clusterPlan";
import { PORTS } from "../plan/ports";
import { SERVER_SECRET_ENV, envPlaceholder, vaultPlaceholder } from "../plan/secretKeys";
import { DB_POOL_MAX_ACTIVE } from "../plan/databaseParameters";
import { TARGET_KEEP_ALIVE_SECONDS } from "../aws/loadBalancerRouting";

export const BASE_DEPLOYMENT_TOML = path.join(__dirname, "..", "..", "config-templates", "deployment.toml");

export type Table = { [key: string]: unknown };

/**
 * A JDBC URL as it must stand in deployment.toml: the value is copied verbatim into XML
 * (master-datasources.xml), so `&` is written `&amp;`. TLS is required; VERIFY_CA checks the RDS CA,
 * which the boot script adds to the truststore (the host name is our CNAME, not the RDS certificate's).
 */
export function jdbcUrl(host: string, port: number, database: string): string {
    const params = ["sslMode=VERIFY_CA", "characterEncoding=UTF-8"];
    return `jdbc:mysql://${host}:${port}/${database}?${params.join("&amp;")}`;
}

/**
 * Passwords and the 4.7 key go through Secure Vault (the boot script encrypts them into [secrets]); the
 * analytics token stays an environment value: it can exceed what one RSA block encrypts.
 */
export function serverSecret(key: Exclude<keyof typeof SERVER_SECRET_ENV, "analyticsAuthToken">): string {
    return vaultPlaceholder(SERVER_SECRET_ENV[key]);
}

/** Seed step 1: the cluster's one keystore and truststore; primary, internal and TLS change together. */
export function keystoreValues(plan: ClusterPlan): Table {
    const keystore = (file: string) => ({
        file_name: file,
        type: "PKCS12",
        password: serverSecret("keystorePassword"),
        alias: plan.keystore.alias,
        key_password: serverSecret("keystorePassword"),
    });
    return {
        keystore: {
            primary: keystore(plan.keystore.file),
            internal: keystore(plan.keystore.file),
            tls: keystore(plan.keystore.file),
        },
        truststore: { file_name: plan.keystore.truststoreFile, type: "PKCS12", password: serverSecret("truststorePassword") },
    };
}

/**
 * A broker's AMQP SSL listener. The Andes client knows only the tcp transport; TLS is its ssl='true'
 * option, which the templates append to every broker URL when jms.ssl is set.
 */
export function jmsBrokerUrl(host: string): string {
    return `tcp://${host}:${PORTS.jmsBrokerSsl}`;
}

/**
 * One url group per pair node, so throttle events reach every traffic manager. An ssl:// receiver URL
 * makes WSO2's data publisher send the events themselves over the binary SSL port, not only the login.
 */
export function throttleUrlGroups(plan: ClusterPlan): Table[] {
    return plan.nodes.map((n) => ({
        traffic_manager_urls: [`ssl://${n.hostName}:${PORTS.throttleBinarySsl}`],
        traffic_manager_auth_urls: [`ssl://${n.hostName}:${PORTS.throttleBinarySsl}`],
        type: "loadbalance",
    }));
}

/** 4.7 encrypts internal data with a symmetric key that must be identical on every node. */
export function encryptionValues(config: StackConfig): Table | undefined {
    if (config.apim.version !== "4.7.0") return undefined;
    return {
        internal_crypto_provider: "org.wso2.carbon.crypto.provider.SymmetricKeyInternalCryptoProvider",
        key: serverSecret("encryptionKey"),
    };
}

/** Seed step 9, or undefined while analytics is off. */
export function analyticsValues(config: StackConfig): Table | undefined {
    if (!config.analytics.enabled) return undefined;
    return {
        enable: true,
        config_endpoint: config.analytics.configEndpoint,
        auth_token: envPlaceholder(SERVER_SECRET_ENV.analyticsAuthToken),
    };
}

/** Node and cluster values of one node's deployment.toml, by seed step. */
export function derivedDeploymentValues(config: StackConfig, plan: ClusterPlan, node: NodePlan): Table {
    const { portal, gateway } = plan.hostNames;
    const db = plan.database;
    const database = (name: string, maxActive: number) => ({
        url: jdbcUrl(db.hostName, db.port, name),
        username: db.apimUsername,
        password: serverSecret("dbPassword"),
        pool_options: { maxActive },
    });

    const values: Table = {
        // Step 2: the load balancer's portal host, and the port clients see.
        server: { hostname: portal, node_ip: envPlaceholder("NODE_IP") },
        transport: {
            // Tomcat's 60 s default keep-alive would close idle ALB connections before the ALB does (502s).
            https: { properties: { proxyPort: PORTS.loadBalancerHttps, keepAliveTimeout: TARGET_KEEP_ALIVE_SECONDS * 1000 } },
            http: { properties: { proxyPort: PORTS.loadBalancerHttp } },
        },
        super_admin: { username: config.apim.adminUsername, password: serverSecret("adminPassword") },
        // Step 3: both shared databases, through their stable private name.
        database: {
            apim_db: database(db.apimDbName, DB_POOL_MAX_ACTIVE.apim),
            shared_db: database(db.sharedDbName, DB_POOL_MAX_ACTIVE.shared),
        },
        // Step 1: the same keystore on every node.
        ...keystoreValues(plan),
        apim: {
            gateway: {
                environment: [
                    {
                        // Step 6: with a shared artifact folder each node publishes to itself.
                        service_url: "https://localhost:${mgt.transport.https.port}/services/",
                        // Step 7: APIs are exposed on the gateway host behind the load balancer.
                        http_endpoint: `http://${gateway}`,
                        https_endpoint: `https://${gateway}`,
                        // WebSockets reach the load balancer on 443 only, over TLS. The port is explicit because
                        // WSO2 reads a wss URL without one as 8099 (VHost.fromEndpointUrls); without ws_endpoint
                        // WSO2 offers no plain ws URL for the environment.
                        wss_endpoint: `wss://${gateway}:${PORTS.loadBalancerHttps}`,
                    },
                ],
            },
            devportal: { url: `https://${portal}/devportal` },
            // Step 8: publish throttle events to every node's traffic manager, and duplicate this node's
            // broker events to every other node (4.x renders jndi2.properties and the JMS publishers from it).
            // Everything between nodes is TLS (jms.ssl covers the peers and the local broker alike).
            throttling: {
                event_duplicate_url: peersOf(plan, node).map((peer) => jmsBrokerUrl(peer.hostName)),
                throttle_decision_endpoints: [jmsBrokerUrl("localhost")],
                jms: { ssl: true },
                url_group: throttleUrlGroups(plan),
            },
        },
    };

    const encryption = encryptionValues(config);
    if (encryption) values.encryption = encryption;
    const analytics = analyticsValues(config);
    if (analytics) (values.apim as Table).analytics = analytics;
    return values;
}

/**
 * Merges `overlay` into `base`: tables merge key by key, arrays of tables merge element by element
 * (so the base's gateway environment keeps its static keys), any other value is replaced.
 */
export function mergeToml(base: Table, overlay: Table): Table {
    const out: Table = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
        const existing = out[key];
        if (isTable(existing) && isTable(value)) {
            out[key] = mergeToml(existing, value);
        } else if (Array.isArray(existing) && Array.isArray(value) && existing.every(isTable) && value.every(isTable)) {
            const length = Math.max(existing.length, value.length);
            out[key] = Array.from({ length }, (_, i) =>
                i < existing.length && i < value.length ? mergeToml(existing[i] as Table, value[i] as Table) : (value[i] ?? existing[i]),
            );
        } else {
            out[key] = value;
        }
    }
    return out;
}

function isTable(value: unknown): value is Table {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** One node's complete deployment.toml. */
export function renderDeploymentToml(
    config: StackConfig,
    plan: ClusterPlan,
    node: NodePlan,
    baseToml: string = fs.readFileSync(BASE_DEPLOYMENT_TOML, "utf8"),
): string {
    const merged = mergeToml(TOML.parse(baseToml) as Table, derivedDeploymentValues(config, plan, node));
    const header = `# ${node.hostName}: rendered by the wso2-apim-ha Pulumi program; edits on the node are lost on replacement.\n`;
    return header + TOML.stringify(merged as TOML.JsonMap);
}

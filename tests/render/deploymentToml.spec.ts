import { execFileSync } from "child_process";
import * as TOML from "@iarna/toml";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderDeploymentToml, jdbcUrl } from "../../lib/node/deploymentToml";
import { PORTS } from "../../lib/plan/ports";
import { SERVER_SECRET_ENV } from "../../lib/plan/secretKeys";
import { sampleConfig } from "../support/sampleConfig";
import { requireTool } from "../support/validators";
import { leafKeys } from "../support/tomlLeafKeys";

type Toml = Record<string, any>;

function renderAll(overrides: Record<string, unknown> = {}): Toml[] {
    const config = sampleConfig(overrides);
    const plan = planCluster(config);
    return plan.nodes.map((node) => TOML.parse(renderDeploymentToml(config, plan, node)) as Toml);
}

/**
 * Keys the API-M 4.x config templates read (deployment.toml vocabulary: product-apim conf templates,
 * carbon-kernel catalina/carbon templates, carbon-apimgt api-manager.xml.j2 and master-datasources.xml.j2).
 * A key outside this list would be silently ignored by WSO2.
 */
const TEMPLATE_KEYS = new Set([
    "server.hostname", "server.node_ip", "server.base_path", "server.server_role",
    "super_admin.username", "super_admin.password", "super_admin.create_admin_account",
    "user_store.type",
    ...["apim_db", "shared_db"].flatMap((db) => [
        `database.${db}.type`, `database.${db}.url`, `database.${db}.username`, `database.${db}.password`,
        `database.${db}.driver`, `database.${db}.validationQuery`,
        ...["maxActive", "maxWait", "minIdle", "testOnBorrow", "validationInterval"].map((o) => `database.${db}.pool_options.${o}`),
    ]),
    "database.local.url",
    "transport.https.properties.proxyPort", "transport.http.properties.proxyPort", "transport.https.sslHostConfig.properties.protocols",
    // catalina-server.xml.j2 writes every transport.https.properties key onto the 9443 connector
    "transport.https.properties.keepAliveTimeout",
    ...["primary", "internal", "tls"].flatMap((k) => ["file_name", "type", "password", "alias", "key_password"].map((f) => `keystore.${k}.${f}`)),
    "truststore.file_name", "truststore.type", "truststore.password",
    ...["name", "type", "gateway_type", "provider", "display_in_api_console", "description", "show_as_token_endpoint_url", "service_url",
        "username", "password", "http_endpoint", "https_endpoint", "ws_endpoint", "wss_endpoint"].map((k) => `apim.gateway.environment.${k}`),
    "apim.sync_runtime_artifacts.gateway.gateway_labels",
    "apim.key_manager.service_url", "apim.key_manager.username", "apim.key_manager.password",
    ...["enable_outbound_auth_header", "auth_header", "revoke_endpoint", "enable_token_encryption", "enable_token_hashing"].map((k) => `apim.oauth_config.${k}`),
    "apim.analytics.enable", "apim.analytics.config_endpoint", "apim.analytics.auth_token",
    "apim.devportal.url",
    "apim.cors.allow_origins", "apim.cors.allow_methods", "apim.cors.allow_headers", "apim.cors.allow_credentials",
    "apim.throttling.event_duplicate_url", "apim.throttling.throttle_decision_endpoints", "apim.throttling.jms.ssl",
    "apim.throttling.url_group.traffic_manager_urls", "apim.throttling.url_group.traffic_manager_auth_urls", "apim.throttling.url_group.type",
    "event_handler.name", "event_handler.subscriptions",
    "service_provider.sp_name_regex",
    "event_listener.id", "event_listener.type", "event_listener.name", "event_listener.order",
    "event_listener.properties.notification_endpoint", "event_listener.properties.username", "event_listener.properties.password",
    "event_listener.properties.header.X-WSO2-KEY-MANAGER",
    "oauth.grant_type.token_exchange.enable", "oauth.grant_type.token_exchange.allow_refresh_tokens", "oauth.grant_type.token_exchange.iat_validity_period",
    "encryption.internal_crypto_provider", "encryption.key",
    // data-bridge-config.xml.j2 writes every transport.binary.receiver key; data-agent-config.xml.j2 and
    // broker.xml.j2 read these by name (carbon-analytics-common 5.3.20-5.4.9, product-apim 4.5.0-4.7.0)
    "transport.binary.receiver.sslEnabledProtocols", "transport.binary.receiver.ciphers", "transport.binary.agent.ssl_enabled_protocols",
    "broker.transport.amqp.ssl_connection.ssl_enabled_protocols", "broker.transport.amqp.ssl_connection.ciphers",
]);

describe("deployment.toml of each node", () => {
    it.each([2])("with %i nodes, every node publishes throttle events to every node and duplicates broker events to the others, over TLS", (count) => {
        const nodes = renderAll({ nodeCount: count });
        expect(nodes).toHaveLength(count);
        const hosts = Array.from({ length: count }, (_, i) => `apim-${i + 1}.apim.internal`);
        nodes.forEach((toml, i) => {
            const throttling = toml.apim.throttling;
            // ssl:// receiver URLs: the events themselves go over the binary SSL port, not only the login
            expect(throttling.url_group.map((g: any) => g.traffic_manager_urls)).toEqual(hosts.map((h) => [`ssl://${h}:${PORTS.throttleBinarySsl}`]));
            expect(throttling.url_group.map((g: any) => g.traffic_manager_auth_urls)).toEqual(hosts.map((h) => [`ssl://${h}:${PORTS.throttleBinarySsl}`]));
            expect(throttling.url_group.every((g: any) => g.type === "loadbalance")).toBe(true);
            // The other nodes' brokers, never its own: this is what 4.x renders jndi2.properties and jmsEventPublisher2 from.
            expect(throttling.event_duplicate_url).toEqual(hosts.filter((_, j) => j !== i).map((h) => `tcp://${h}:${PORTS.jmsBrokerSsl}`));
            // jms.ssl adds ssl='true' to every broker URL the templates write, the local one included
            expect(throttling.throttle_decision_endpoints).toEqual([`tcp://localhost:${PORTS.jmsBrokerSsl}`]);
            expect(throttling.jms).toEqual({ ssl: true });
        });
    });

    it("node 1 and node 2 point at each other's AMQP SSL listener", () => {
        const [one, two] = renderAll();
        expect(one.apim.throttling.event_duplicate_url).toEqual(["tcp://apim-2.apim.internal:8672"]);
        expect(two.apim.throttling.event_duplicate_url).toEqual(["tcp://apim-1.apim.internal:8672"]);
    });

    it("limits the binary receivers and the broker's SSL listener to TLS 1.2+ with forward-secret AEAD suites", () => {
        if (!requireTool("openssl")) return;
        // IANA name -> [protocol, key exchange, MAC] as the real openssl knows the suite
        const known = new Map(execFileSync("openssl", ["ciphers", "-v", "-stdname", "ALL"], { encoding: "utf8" }).trim().split("\n").map((line) => {
            const [name, , , protocol, kx, , , mac] = line.trim().split(/\s+/);
            return [name, { protocol, kx: kx.replace("Kx=", ""), mac: mac.replace("Mac=", "") }];
        }));
        const check = (ciphers: string[], protocols: string[]) => {
            expect(ciphers.length).toBeGreaterThan(0);
            for (const c of ciphers) {
                const suite = known.get(c);
                expect([c, suite && protocols.includes(suite.protocol), suite?.mac, suite && ["ECDH", "any"].includes(suite.kx)]).toEqual([c, true, "AEAD", true]);
            }
            // every enabled protocol has a suite, or its handshake could never succeed
            for (const p of protocols) expect([p, ciphers.some((c) => known.get(c)?.protocol === p)]).toEqual([p, true]);
        };
        for (const toml of renderAll()) {
            const receiver = toml.transport.binary.receiver;
            expect(receiver.sslEnabledProtocols).toEqual(["TLSv1.2", "TLSv1.3"]);
            check(receiver.ciphers, receiver.sslEnabledProtocols);
            // the publishing side: one string, split on commas without trimming
            expect(toml.transport.binary.agent.ssl_enabled_protocols).toBe(receiver.sslEnabledProtocols.join(","));
            const broker = toml.broker.transport.amqp.ssl_connection;
            expect(broker.ssl_enabled_protocols).toBe("TLSv1.2");
            expect(broker.ciphers).not.toMatch(/\s/);
            check(broker.ciphers.split(","), ["TLSv1.2"]);
        }
    });

    it("serves the portals on the portal host behind the load balancer's 443 (seed step 2)", () => {
        for (const toml of renderAll()) {
            expect(toml.server.hostname).toBe("api.example.com");
            expect(toml.transport.https.properties.proxyPort).toBe(443);
            expect(toml.apim.devportal.url).toBe("https://api.example.com/devportal");
        }
    });

    it("uses both shared MySQL databases over TLS with the current driver (seed step 3)", () => {
        for (const toml of renderAll()) {
            for (const [db, name] of [["apim_db", "WSO2AM_DB"], ["shared_db", "WSO2SHARED_DB"]]) {
                const section = toml.database[db];
                expect(section.type).toBe("mysql");
                expect(section.driver).toBe("com.mysql.cj.jdbc.Driver");
                expect(section.url).toBe(`jdbc:mysql://db.apim.internal:3306/${name}?sslMode=VERIFY_CA&amp;characterEncoding=UTF-8`);
                expect(section.url).not.toMatch(/useSSL=false/);
                expect(section.username).toBe("wso2apim");
                expect(section.pool_options.maxActive).toBeGreaterThan(0);
            }
        }
    });

    it("writes JDBC URLs that stay well-formed once WSO2 copies them into XML", () => {
        if (!requireTool("xmllint")) return;
        const url = jdbcUrl("db.apim.internal", 3306, "WSO2AM_DB");
        const xml = `<?xml version="1.0"?><datasource><url>${url}</url></datasource>`;
        const text = execFileSync("xmllint", ["--xpath", "string(/datasource/url)", "-"], { input: xml }).toString().trim();
        expect(text).toBe("jdbc:mysql://db.apim.internal:3306/WSO2AM_DB?sslMode=VERIFY_CA&characterEncoding=UTF-8");
    });

    it("exposes APIs on the gateway host and publishes to the local gateway (seed steps 6 and 7)", () => {
        for (const toml of renderAll()) {
            const [env] = toml.apim.gateway.environment;
            expect(env.name).toBe("Default");
            expect(env.service_url).toBe("https://localhost:${mgt.transport.https.port}/services/");
            expect(env.https_endpoint).toBe("https://gw.example.com");
            expect(env.http_endpoint).toBe("http://gw.example.com");
            // WebSockets arrive on the load balancer's 443; WSO2 would read a wss URL without a port as 8099.
            expect(env.wss_endpoint).toBe(`wss://gw.example.com:${PORTS.loadBalancerHttps}`);
            // No plain ws URL: the load balancer offers none, and WSO2 then lists wss only.
            expect(env.ws_endpoint).toBeUndefined();
        }
    });

    it("holds no password: secrets are Secure Vault aliases, the analytics token an $env placeholder (seed step 10)", () => {
        const [toml] = renderAll({ analyticsEnabled: true, analyticsConfigEndpoint: "https://analytics.example.com/auth/v1", analyticsAuthToken: "tok" });
        expect(toml.super_admin.password).toBe("$secret{admin_password}");
        expect(toml.database.apim_db.password).toBe("$secret{db_password}");
        expect(toml.database.shared_db.password).toBe("$secret{db_password}");
        for (const ks of ["primary", "internal", "tls"]) {
            expect(toml.keystore[ks]).toMatchObject({ file_name: "apim-keystore.p12", type: "PKCS12", alias: "apim", password: "$secret{keystore_password}", key_password: "$secret{keystore_password}" });
        }
        expect(toml.truststore).toEqual({ file_name: "apim-truststore.p12", type: "PKCS12", password: "$secret{truststore_password}" });
        // longer than one RSA block may take, so it stays an environment value
        expect(toml.apim.analytics).toEqual({ enable: true, config_endpoint: "https://analytics.example.com/auth/v1", auth_token: `$env{${SERVER_SECRET_ENV.analyticsAuthToken}}` });
        // the boot script appends the encrypted values; the program writes none
        expect(toml.secrets).toBeUndefined();
        // Every password-like value anywhere is a placeholder, never a literal.
        const secretLike = (function walk(value: unknown, key: string): [string, unknown][] {
            if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => walk(v, Array.isArray(value) ? key : k));
            return /password|auth_token|^key$/.test(key) ? [[key, value]] : [];
        })(toml, "");
        expect(secretLike.length).toBeGreaterThan(8);
        for (const [key, value] of secretLike) expect([key, value]).toEqual([key, expect.stringMatching(/^(\$secret\{[a-z_]+\}|\$env\{WSO2_ANALYTICS_AUTH_TOKEN\}|\$\{admin\.password\}|\$ref\{super_admin\.password\})$/)]);
    });

    it("sets the 4.7 symmetric encryption key from the secret, and not on older versions", () => {
        const [v47] = renderAll({ apimVersion: "4.7.0" });
        expect(v47.encryption).toEqual({
            internal_crypto_provider: "org.wso2.carbon.crypto.provider.SymmetricKeyInternalCryptoProvider",
            key: "$secret{encryption_key}",
        });
        const [v45] = renderAll({ apimVersion: "4.5.0" });
        expect(v45.encryption).toBeUndefined();
    });

    it("keeps analytics off unless enabled (seed step 9)", () => {
        expect(renderAll()[0].apim.analytics).toEqual({ enable: false });
    });

    it("writes only keys that WSO2's 4.x templates read", () => {
        const [toml] = renderAll({ analyticsEnabled: true, analyticsConfigEndpoint: "https://a.example.com/x", analyticsAuthToken: "t" });
        const unknown = [...new Set(leafKeys(toml))].filter((k) => !TEMPLATE_KEYS.has(k));
        expect(unknown).toEqual([]);
    });

    it("is valid TOML that round-trips through a parser", () => {
        const config = sampleConfig();
        const plan = planCluster(config);
        const text = renderDeploymentToml(config, plan, plan.nodes[1]);
        expect(TOML.parse(TOML.stringify(TOML.parse(text)))).toEqual(TOML.parse(text));
        expect(text.startsWith("# apim-2.apim.internal")).toBe(true);
    });
});

import * as TOML from "@iarna/toml";
import { ApimVersion, SUPPORTED_APIM_VERSIONS } from "../../lib/config/stackConfig";
import { OFFLINE_CONFIG_SECRET_PREFIX } from "../../lib/config/stackFile";
import { planCluster } from "../../lib/plan/clusterPlan";
import { PORTS } from "../../lib/plan/ports";
import { SERVER_SECRET_ENV } from "../../lib/plan/secretKeys";
import { renderDeploymentToml } from "../../lib/node/deploymentToml";
import { renderGatewayDeploymentToml } from "../../lib/node/gatewayDeploymentToml";
import { sampleConfig } from "../support/sampleConfig";
import { leafKeys } from "../support/tomlLeafKeys";

type Toml = Record<string, any>;

const CONTROL_PLANE = "control-plane.apim.internal";
const PAIR = ["apim-1.apim.internal", "apim-2.apim.internal"];
const ANALYTICS = { analyticsEnabled: true, analyticsConfigEndpoint: "https://analytics.example.com/auth/v1", analyticsAuthToken: `${OFFLINE_CONFIG_SECRET_PREFIX}analyticsAuthToken` };

/**
 * Keys the Universal Gateway pack's templates read, as verified per version: product-apim's gateway
 * module at v4.5.0-gw, v4.6.0-gw and v4.7.0-gw-rc2 (its conf/templates, default.json, infer.json,
 * key-mappings.json; the v4.7.0 tag's gateway module is identical to rc2), and the feature templates
 * its pom installs: carbon-apimgt 9.31.86 / 9.32.147 / 9.33.122 (api-manager.xml.j2, jndi.properties.j2,
 * jndi-cp.properties.j2, datasources/master-datasources.xml.j2), carbon-kernel 4.9.28 / 4.9.33 / 4.11.18
 * (carbon.xml.j2, user-mgt.xml.j2, infer.json merged into the pack's) and carbon-analytics-common
 * 5.3.20 / 5.3.27 / 5.4.9 (data-agent-config.xml.j2). A key outside its version's list is ignored by WSO2.
 */
const VERIFIED: readonly { readonly versions: readonly ApimVersion[]; readonly where: string; readonly keys: readonly string[] }[] = [
    { versions: SUPPORTED_APIM_VERSIONS, where: "kernel carbon.xml.j2; gateway registry.xml.j2, netty.properties.j2", keys: ["server.hostname"] },
    { versions: SUPPORTED_APIM_VERSIONS, where: "gateway infer.json (server.server_role: default)", keys: ["server.server_role"] },
    { versions: SUPPORTED_APIM_VERSIONS, where: "kernel user-mgt.xml.j2", keys: ["super_admin.username", "super_admin.password", "super_admin.create_admin_account"] },
    { versions: SUPPORTED_APIM_VERSIONS, where: "kernel infer.json (user_store.type)", keys: ["user_store.type"] },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "gateway catalina-server.xml.j2 (every transport.https.properties / sslHostConfig.properties key)",
        keys: ["transport.https.properties.keepAliveTimeout", "transport.https.sslHostConfig.properties.protocols"],
    },
    { versions: SUPPORTED_APIM_VERSIONS, where: "analytics-common data-agent-config.xml.j2", keys: ["transport.binary.agent.ssl_enabled_protocols"] },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "kernel carbon.xml.j2 (primary, internal, truststore); gateway listenerprofiles/sslprofiles.xml.j2 and kernel default.json (tls)",
        keys: [
            ...["primary", "internal", "tls"].flatMap((k) => ["file_name", "type", "password", "alias", "key_password"].map((f) => `keystore.${k}.${f}`)),
            "truststore.file_name", "truststore.type", "truststore.password",
        ],
    },
    { versions: SUPPORTED_APIM_VERSIONS, where: "api-manager.xml.j2 APIKeyValidator", keys: ["apim.key_manager.service_url", "apim.key_manager.username", "apim.key_manager.password"] },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "api-manager.xml.j2 EventHubConfigurations; jndi-cp.properties.j2 (event_hub.ssl)",
        keys: ["enable", "service_url", "username", "password", "event_listening_endpoints", "jms.ssl", "ssl"].map((k) => `apim.event_hub.${k}`),
    },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "api-manager.xml.j2 ThrottlingConfigurations (TrafficManager, PolicyDeployer, JMSConnectionDetails); jndi.properties.j2",
        keys: [
            "service_url", "username", "password", "throttle_decision_endpoints", "jms.ssl",
            "url_group.traffic_manager_urls", "url_group.traffic_manager_auth_urls", "url_group.type",
        ].map((k) => `apim.throttling.${k}`),
    },
    { versions: SUPPORTED_APIM_VERSIONS, where: "api-manager.xml.j2; gateway synapse.properties.j2", keys: ["apim.sync_runtime_artifacts.gateway.gateway_labels"] },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "api-manager.xml.j2 Analytics; gateway infer.json (apim.analytics.enable), key-mappings.json (config_endpoint)",
        keys: ["apim.analytics.enable", "apim.analytics.config_endpoint", "apim.analytics.auth_token"],
    },
    {
        versions: SUPPORTED_APIM_VERSIONS,
        where: "master-datasources.xml.j2; kernel infer.json (database.$1.type)",
        keys: ["type", "url", "username", "password"].map((k) => `database.shared_db.${k}`),
    },
    { versions: SUPPORTED_APIM_VERSIONS, where: "kernel carbon.xml.j2", keys: ["encryption.key", "encryption.internal_crypto_provider"] },
    // Read from 4.6 on only; not rendered (blank gateway_id: a random id per start, right for a fleet).
    { versions: ["4.6.0", "4.7.0"], where: "api-manager.xml.j2 GatewayNotificationConfiguration", keys: ["apim.gateway_notification.enabled", "apim.gateway_notification.gateway_id"] },
    // 4.5 always starts the 8099 listener; 4.6+ default.json turns it on.
    { versions: ["4.6.0", "4.7.0"], where: "gateway SecureWebSocketInboundEndpoint.xml.j2", keys: ["apim.wss.enable"] },
];

const templateKeys = (version: ApimVersion) => new Set(VERIFIED.filter((v) => v.versions.includes(version)).flatMap((v) => v.keys));

const rendered = new Map<string, { gateway: Toml; pair: Toml; text: string }>();
function render(version: ApimVersion, overrides: Record<string, unknown> = {}) {
    const cacheKey = `${version} ${JSON.stringify(overrides)}`;
    if (!rendered.has(cacheKey)) {
        const config = sampleConfig({ apimVersion: version, gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), ...overrides });
        const plan = planCluster(config);
        const text = renderGatewayDeploymentToml(config, plan);
        rendered.set(cacheKey, { gateway: TOML.parse(text) as Toml, pair: TOML.parse(renderDeploymentToml(config, plan, plan.nodes[0])) as Toml, text });
    }
    return rendered.get(cacheKey)!;
}

/** Every string value with its dotted path. */
function strings(value: unknown, prefix = ""): [string, string][] {
    if (typeof value === "string") return [[prefix, value]];
    if (Array.isArray(value)) return value.flatMap((v) => strings(v, prefix));
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => strings(v, prefix ? `${prefix}.${k}` : k));
    return [];
}

describe.each(SUPPORTED_APIM_VERSIONS)("a Universal Gateway's deployment.toml, API-M %s", (version) => {
    const { gateway, pair } = render(version);

    it("is the gateway host's server, in the pack's default role", () => {
        expect(gateway.server).toEqual({ hostname: "gw.example.com", server_role: "default" });
    });

    it("reaches the key manager, event hub and throttling service on the control plane's stable name over HTTPS", () => {
        const url = `https://${CONTROL_PLANE}:${PORTS.portalHttps}/services/`;
        const admin = { username: "admin", password: "$secret{admin_password}" };
        expect(gateway.apim.key_manager).toEqual({ service_url: url, ...admin });
        expect(gateway.apim.event_hub).toMatchObject({ enable: true, service_url: url, ...admin });
        expect(gateway.apim.throttling).toMatchObject({ service_url: url, ...admin });
    });

    it("subscribes to both pair brokers' TLS listener, for events and throttle decisions alike", () => {
        const brokers = PAIR.map((h) => `tcp://${h}:${PORTS.jmsBrokerSsl}`);
        expect(gateway.apim.event_hub.event_listening_endpoints).toEqual(brokers);
        expect(gateway.apim.throttling.throttle_decision_endpoints).toEqual(brokers);
        // the Andes client's TLS switch (ssl='true' on every broker URL the templates write)
        expect(gateway.apim.event_hub.jms).toEqual({ ssl: true });
        expect(gateway.apim.event_hub.ssl).toBe(true);
        expect(gateway.apim.throttling.jms).toEqual({ ssl: true });
        // a gateway duplicates nothing: that is the pair's job
        expect(gateway.apim.throttling.event_duplicate_url).toBeUndefined();
        expect(gateway.apim.event_hub.event_duplicate_url).toBeUndefined();
    });

    it("publishes throttle events to every pair node over TLS, one url group each, exactly as the pair does", () => {
        const groups = gateway.apim.throttling.url_group;
        expect(groups).toEqual(PAIR.map((h) => ({
            traffic_manager_urls: [`ssl://${h}:${PORTS.throttleBinarySsl}`],
            traffic_manager_auth_urls: [`ssl://${h}:${PORTS.throttleBinarySsl}`],
            type: "loadbalance",
        })));
        expect(groups).toEqual(pair.apim.throttling.url_group);
    });

    it("pulls its APIs from the control plane for the label the pair's gateway environment publishes to", () => {
        expect(gateway.apim.sync_runtime_artifacts.gateway.gateway_labels).toEqual(pair.apim.gateway.environment.map((e: Toml) => e.name));
        expect(gateway.apim.sync_runtime_artifacts.gateway.gateway_labels).toEqual(["Default"]);
    });

    it("keeps WSO2's local H2 databases and no shared file system", () => {
        expect(gateway.database?.apim_db).toBeUndefined();
        if (version === "4.7.0") {
            // 4.7's default.json carries both local databases
            expect(gateway.database).toBeUndefined();
        } else {
            // up to 4.6 the config mapper stops without a shared_db URL and user
            expect(gateway.database.shared_db).toEqual({
                type: "h2",
                url: "jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE",
                username: "$ref{database.local.username}",
                password: "$ref{database.local.password}",
            });
        }
        for (const [key, value] of strings(gateway)) expect([key, value]).toEqual([key, expect.not.stringMatching(/mysql|db\.apim\.internal|deployment\/server|efs|fs-[0-9a-f]/i)]);
    });

    it("uses the pair's keystore, truststore and TLS settings", () => {
        for (const ks of ["primary", "internal", "tls"]) {
            expect(gateway.keystore[ks]).toMatchObject({ file_name: "apim-keystore.p12", alias: "apim", type: "PKCS12" });
        }
        expect(gateway.keystore).toEqual(pair.keystore);
        expect(gateway.truststore).toEqual(pair.truststore);
        expect(gateway.transport.binary.agent).toEqual(pair.transport.binary.agent);
        expect(gateway.transport.https.sslHostConfig).toEqual(pair.transport.https.sslHostConfig);
        expect(gateway.transport.https.properties.keepAliveTimeout).toBe(pair.transport.https.properties.keepAliveTimeout);
    });

    it("sets the symmetric encryption key from the secret on 4.7 only, as the pair does", () => {
        expect(gateway.encryption).toEqual(pair.encryption);
        if (version === "4.7.0") expect(gateway.encryption.key).toBe("$secret{encryption_key}");
        else expect(gateway.encryption).toBeUndefined();
    });

    it("dials the pair only over TLS, by name: never plain HTTP, an IP address or localhost", () => {
        const urls = strings(gateway).filter(([, v]) => /^[a-z]+:\/\//.test(v));
        expect(urls.length).toBeGreaterThanOrEqual(8);
        for (const [key, url] of urls) {
            const { protocol, hostname, port } = new URL(url);
            expect([key, protocol]).toEqual([key, expect.stringMatching(/^(https|ssl|tcp):$/)]);
            if (protocol === "tcp:") expect([key, port]).toEqual([key, String(PORTS.jmsBrokerSsl)]);
            expect([key, [CONTROL_PLANE, ...PAIR].includes(hostname)]).toEqual([key, true]);
        }
        for (const [key, value] of strings(gateway)) expect([key, value]).toEqual([key, expect.not.stringMatching(/localhost|\b\d{1,3}(\.\d{1,3}){3}\b/)]);
    });

    it("holds no secret: passwords are Secure Vault aliases, the analytics token an $env placeholder", () => {
        const { gateway: withAnalytics, text } = render(version, ANALYTICS);
        expect(text).not.toContain("offline-secret-");
        expect(withAnalytics.apim.analytics).toEqual({ enable: true, config_endpoint: ANALYTICS.analyticsConfigEndpoint, auth_token: `$env{${SERVER_SECRET_ENV.analyticsAuthToken}}` });
        expect(withAnalytics.secrets).toBeUndefined();
        const secretLike = strings(withAnalytics).filter(([k]) => /(password|auth_token|^encryption\.key)$/.test(k));
        expect(secretLike.length).toBeGreaterThanOrEqual(12);
        for (const [key, value] of secretLike) {
            expect([key, value]).toEqual([key, expect.stringMatching(/^(\$secret\{(admin_password|keystore_password|truststore_password|encryption_key)\}|\$env\{WSO2_ANALYTICS_AUTH_TOKEN\}|\$ref\{database\.local\.password\})$/)]);
        }
    });

    it("writes every value so it stays well-formed once WSO2 copies it into XML", () => {
        for (const [key, value] of strings(render(version, ANALYTICS).gateway)) {
            expect([key, value]).toEqual([key, expect.not.stringMatching(/[<>]|&(?!(amp|lt|gt|quot|apos);)/)]);
        }
    });

    it("writes only keys that the gateway pack's templates read in this version", () => {
        const keys = templateKeys(version);
        const unknown = [...new Set(leafKeys(render(version, ANALYTICS).gateway))].filter((k) => !keys.has(k));
        expect(unknown).toEqual([]);
    });

    it("is valid TOML that round-trips through a parser", () => {
        const { text } = render(version);
        expect(text.startsWith("# Universal Gateway")).toBe(true);
        expect(TOML.parse(TOML.stringify(TOML.parse(text)))).toEqual(TOML.parse(text));
    });
});

describe("the gateway renderer", () => {
    it("refuses a stack without gateways", () => {
        const config = sampleConfig();
        expect(() => renderGatewayDeploymentToml(config, planCluster(config))).toThrow(/gatewaysEnabled/);
    });
});

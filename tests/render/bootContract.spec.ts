/**
 * The program and the boot script meet in three places: the env file's keys, the secret's keys and a
 * few fixed paths. These tests read both sides, so a renamed key fails here instead of at a node's boot.
 */
import * as fs from "fs";
import * as path from "path";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderDeploymentToml } from "../../lib/node/deploymentToml";
import { renderGatewayDeploymentToml } from "../../lib/node/gatewayDeploymentToml";
import { bootLoaderEnvironment, gatewayEnvironment, nodeEnvironment } from "../../lib/node/nodeEnvironment";
import { SERVER_SECRET_ENV, BOOT_ONLY_SECRET_KEYS } from "../../lib/plan/secretKeys";
import { CLOUDWATCH_AGENT_CONFIG_PATH } from "../../lib/node/logShipping";
import { sampleConfig, sampleFacts, sampleGatewayFacts } from "../support/sampleConfig";

const templates = path.join(__dirname, "..", "..", "config-templates");
const script = fs.readFileSync(path.join(templates, "bootstrap.sh"), "utf8");
const unit = fs.readFileSync(path.join(templates, "wso2am.service"), "utf8");
const gatewayUnit = fs.readFileSync(path.join(templates, "wso2am-gateway.service"), "utf8");
const config = sampleConfig({
    analyticsEnabled: true,
    analyticsConfigEndpoint: "https://a.example.com/x",
    analyticsAuthToken: "t",
    gatewaysEnabled: true,
    gatewayDistributionSha256: "c".repeat(64),
});
const plan = planCluster(config);

/** A list of the script's: NAME=(…), its words (continued lines included). */
function scriptList(name: string): string[] {
    const m = new RegExp(`^${name}=\\(([^)]*)\\)`, "m").exec(script);
    if (!m) throw new Error(`bootstrap.sh has no ${name}=(...) list`);
    return m[1].split(/\s+/).filter(Boolean);
}
/** The script's env-file keys: every role's (KEYS), the node's own (NODE_KEYS). */
const scriptEnvKeys = (): string[] => scriptList("KEYS");
const scriptNodeKeys = (): string[] => scriptList("NODE_KEYS");
const scriptGatewayKeys = (): string[] => scriptList("GATEWAY_KEYS");
const scriptOptionalKeys = (): string[] => scriptList("OPTIONAL_KEYS");
/** declare -A NAME=([key]=value …): the keys an env file may leave out, with their values then; each role's steps. */
function scriptTable(name: string): Record<string, string> {
    const m = new RegExp(`^declare -A ${name}=\\(((?:\\[\\w+\\]=(?:"[^"]*"|\\S+)\\s*)+)\\)$`, "m").exec(script);
    if (!m) throw new Error(`bootstrap.sh has no declare -A ${name}=(...)`);
    return Object.fromEntries([...m[1].matchAll(/\[(\w+)\]=(?:"([^"]*)"|(\S+))/g)].map((e) => [e[1], e[2] ?? e[3]]));
}
const defaults = scriptTable("DEFAULTS");
const steps = scriptTable("STEPS");

describe("contract between the renderer and the boot loader", () => {
    const loader = fs.readFileSync(path.join(templates, "boot-loader.sh"), "utf8");

    it("renders exactly the env-file keys the loader requires, and installs the script where the boot script lives", () => {
        const m = /^KEYS=\(([^)]*)\)/m.exec(loader);
        expect(m).not.toBeNull();
        const rendered = bootLoaderEnvironment(plan, sampleFacts);
        expect(rendered.map(([key]) => key).sort()).toEqual(m![1].split(/\s+/).filter(Boolean).sort());
        expect(Object.fromEntries(rendered).BOOT_SCRIPT_PATH).toBe(plan.paths.bootstrapScript);
        // the boot script reads its own env file, not the loader's, and the loader hands it nothing else
        expect([...scriptEnvKeys(), ...scriptNodeKeys()].filter((k) => k.startsWith("BOOT_SCRIPT_"))).toEqual([]);
        expect(loader).toContain('exec "$dest"');
    });
});

describe("contract between the renderer and the boot script", () => {
    it("renders exactly the env-file keys the boot script requires of a node, leaving out those whose absence means the node", () => {
        // the pair's env file has no ROLE or START_SCRIPT: the script's defaults are the node's
        expect(defaults).toEqual({ ROLE: "node", START_SCRIPT: "bin/api-manager.sh" });
        const rendered = nodeEnvironment(config, plan, plan.nodes[0], sampleFacts).map(([key]) => key);
        const required = [...scriptEnvKeys(), ...scriptNodeKeys()].filter((k) => !(k in defaults));
        expect([...rendered].sort()).toEqual(required.sort());
        expect(unit).toContain(`ExecStart=${plan.paths.apimHome}/${defaults.START_SCRIPT}`);
    });

    it("renders exactly the keys every role needs for a gateway, with its role and start script, and none of the node's own", () => {
        const env = Object.fromEntries(gatewayEnvironment(config, plan, sampleGatewayFacts));
        expect(Object.keys(env).sort()).toEqual([...scriptEnvKeys(), ...scriptGatewayKeys(), "ROLE"].sort());
        expect(Object.keys(env).filter((k) => scriptNodeKeys().includes(k))).toEqual([]);
        expect(env.ROLE).toBe("gateway");
        expect(steps.gateway.split(" ")).toEqual(["secrets", "packages", "distribution", "keystore", "vault", "start"]);
        expect(steps.node.split(" ")).toEqual(["secrets", "packages", "distribution", "keystore", "vault", "share", "database", "start"]);
        // the unit installed on a gateway runs the start script its env file names, as the start step checks
        expect(env.START_SCRIPT).toBe(plan.gateways!.startScript);
        expect(gatewayUnit).toContain(`ExecStart=${plan.paths.apimHome}/${env.START_SCRIPT}\n`);
        expect(gatewayUnit).toContain(`User=${plan.runAs.user}\n`);
        expect(script).toContain('grep -cxF -e "ExecStart=$APIM_HOME/$START_SCRIPT" -e "User=$APIM_USER" "$ROOT$UNIT"');
        // the distribution step checks the unpacked pack for the same script
        expect(script).toContain('-f ${top[0]}$START_SCRIPT ]]');
    });

    it("fills every secret a gateway's deployment.toml refers to", () => {
        const toml = renderGatewayDeploymentToml(config, plan);
        const aliases = new Set([...toml.matchAll(/\$secret\{([a-z0-9_]+)\}/g)].map((m) => m[1]));
        expect(aliases.size).toBeGreaterThan(0);
        for (const alias of aliases) expect([alias, (Object.values(SERVER_SECRET_ENV) as string[]).includes(`WSO2_${alias.toUpperCase()}`)]).toEqual([alias, true]);
        // $env{…}: only WSO2_* values, which the secrets step writes to secrets.env
        for (const m of toml.matchAll(/\$env\{([A-Z0-9_]+)\}/g)) expect((Object.values(SERVER_SECRET_ENV) as string[]).includes(m[1])).toBe(true);
    });

    it("fills every secret key the boot script reads, and every placeholder deployment.toml uses has its value at boot", () => {
        const read = new Set([...script.matchAll(/secret "?((?:WSO2|DB|KEYSTORE)_[A-Z0-9_]+)\b/g)].map((m) => m[1]));
        // The script checks the WSO2_* passwords by suffix (secret "WSO2_$k").
        for (const m of script.matchAll(/for k in ([A-Z_ ]+); do secret "WSO2_\$k"/g)) for (const k of m[1].trim().split(/\s+/)) read.add(`WSO2_${k}`);
        const provided = new Set<string>([...Object.values(SERVER_SECRET_ENV), ...Object.values(BOOT_ONLY_SECRET_KEYS)]);
        for (const key of read) expect([key, provided.has(key)]).toEqual([key, true]);
        for (const key of Object.values(BOOT_ONLY_SECRET_KEYS)) expect([key, read.has(key)]).toEqual([key, true]);

        const toml = renderDeploymentToml(config, plan, plan.nodes[0]);
        // $secret{alias}: the vault step encrypts the value of WSO2_<ALIAS>
        expect(script).toContain('secret "WSO2_${a^^}"');
        const aliases = new Set([...toml.matchAll(/\$secret\{([a-z0-9_]+)\}/g)].map((m) => m[1]));
        expect([...aliases].sort()).toEqual(["admin_password", "db_password", "encryption_key", "keystore_password", "truststore_password"]);
        for (const alias of aliases) expect([alias, (Object.values(SERVER_SECRET_ENV) as string[]).includes(`WSO2_${alias.toUpperCase()}`)]).toEqual([alias, true]);
        // $env{…}: WSO2_* come from the secret through secrets.env, NODE_IP from the script's runtime.env
        expect(script).toMatch(/grep -o '\[\$\]env\{WSO2_\[A-Z0-9_\]\*\}'/);
        const placeholders = new Set([...toml.matchAll(/\$env\{([A-Z0-9_]+)\}/g)].map((m) => m[1]));
        expect([...placeholders].sort()).toEqual(["NODE_IP", SERVER_SECRET_ENV.analyticsAuthToken]);
        expect(script).toMatch(/env_line NODE_IP /);
    });

    it("agrees on the paths cloud-init writes and systemd reads", () => {
        expect(script).toContain(`\${WSO2AM_ENV_FILE:-$ROOT${plan.paths.nodeEnvFile}}`);
        expect(script).toContain(`CW_CONFIG=${CLOUDWATCH_AGENT_CONFIG_PATH}`);
        expect(script).toContain(`CONF=${plan.paths.configDir}`);
        // the vault step installs cloud-init's deployment.toml with the [secrets] table appended
        expect(script).toContain('local conf=$ROOT$APIM_HOME/repository/conf ');
        expect(script).toContain('cat "$ROOT$CONF/deployment.toml"');
        expect(script).toContain('put_file "$conf/deployment.toml" 640 "$APIM_UID:$APIM_GID" <"$TMP/deployment.toml"');
        expect(plan.paths.deploymentToml).toBe(`${plan.paths.configDir}/deployment.toml`);
        expect(unit).toContain(`ExecStart=${plan.paths.apimHome}/bin/api-manager.sh`);
        expect(unit).toContain(`User=${plan.runAs.user}`);
        expect(unit).toContain(`EnvironmentFile=${plan.paths.nodeEnvFile}`);
        expect(unit).toContain(`EnvironmentFile=${plan.paths.configDir}/secrets.env`);
        // the keystore password the vault step keeps root-only is what the unit hands WSO2 before each start
        expect(script).toContain("VAULT_PASSWORD=$CONF/vault-password");
        expect(unit).toContain(`ExecStartPre=+/usr/bin/install -m 0600 -o ${plan.runAs.user} -g ${plan.runAs.user} ${plan.paths.configDir}/vault-password ${plan.paths.apimHome}/password-tmp`);
        expect(unit).toContain(`ExecStopPost=+/usr/bin/rm -f ${plan.paths.apimHome}/password-tmp`);
        expect(unit).toContain(`RequiresMountsFor=${plan.paths.apimHome}/repository/deployment/server`);
        expect(plan.paths.systemdUnit).toBe("/etc/systemd/system/wso2am.service");
        // a gateway's unit is installed under the same name and reads the same files
        expect(script).toContain(`UNIT=${plan.paths.systemdUnit}`);
        for (const line of unit.split("\n").filter((l) => /^(EnvironmentFile|ExecStartPre|ExecStopPost|User|Group|WorkingDirectory)=/.test(l))) {
            expect(gatewayUnit.split("\n")).toContain(line);
        }
    });
});

describe("the cluster certificate's digest, with gateways", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBcontrolplane\n-----END CERTIFICATE-----\n";
    const digest = (text: string) => require("crypto").createHash("sha256").update(text).digest("hex");

    it("is in every machine's env file with gateways on, as the boot script hashes the secret's value (trailing newline dropped)", () => {
        expect(scriptOptionalKeys()).toEqual(["KEYSTORE_CERT_SHA256"]);
        const gateway = Object.fromEntries(gatewayEnvironment(config, plan, { ...sampleGatewayFacts, keystoreCertificatePem: pem }));
        const node = Object.fromEntries(nodeEnvironment(config, plan, plan.nodes[0], { ...sampleFacts, keystoreCertificatePem: pem }));
        for (const env of [gateway, node]) expect(env.KEYSTORE_CERT_SHA256).toBe(digest(pem.replace(/\n+$/, "")));
        // the boot script compares it with the certificate it wrote from the secret
        expect(script).toContain('$(sha "$TMP/cert.pem") == "$KEYSTORE_CERT_SHA256"');
    });

    it("is left out without gateways, so a pair-only stack's user data does not change", () => {
        const pairOnly = sampleConfig({ analyticsEnabled: true, analyticsConfigEndpoint: "https://a.example.com/x", analyticsAuthToken: "t" });
        const node = Object.fromEntries(nodeEnvironment(pairOnly, planCluster(pairOnly), planCluster(pairOnly).nodes[0], { ...sampleFacts, keystoreCertificatePem: pem }));
        expect(node.KEYSTORE_CERT_SHA256).toBeUndefined();
    });

    it("makes a gateway wait for the pair's own readiness on the control plane's name before it starts", () => {
        const env = Object.fromEntries(gatewayEnvironment(config, plan, sampleGatewayFacts));
        expect(env.CONTROL_PLANE_URL).toBe(`https://${plan.gateways!.controlPlaneHostName}:9443/api/am/gateway/v2/server-startup-healthcheck`);
        expect(Number(env.CONTROL_PLANE_WAIT_SECONDS)).toBeGreaterThanOrEqual(1800);
        expect(script).toContain("[[ $ROLE != gateway ]] || wait_for_control_plane");
    });
});

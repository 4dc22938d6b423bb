import * as pulumi from "@pulumi/pulumi";
import { installOfflineMocks, OFFLINE_SECRET_PREFIX, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { BOOT_ONLY_SECRET_KEYS, SERVER_SECRET_ENV, deploymentTomlSecretKeys } from "../../lib/plan/secretKeys";
import { gatewaySecretKeys, renderGatewayDeploymentToml } from "../../lib/node/gatewayDeploymentToml";
import { clusterSecretDocument } from "../../lib/aws/clusterSecretDocument";
import { planCluster } from "../../lib/plan/clusterPlan";
import { one, ofType, plain, plainSecretPaths, resolve, settle, tree, wasSecret } from "../support/componentRun";
import { sampleConfig } from "../support/sampleConfig";
import { gatewaySecretDocument, keystoreCertificateDnsNames } from "../../components/clusterSecrets";
import type { ClusterSecrets as ClusterSecretsClass } from "../../components/clusterSecrets";

const T = {
    password: "random:index/randomPassword:RandomPassword",
    randomId: "random:index/randomId:RandomId",
    privateKey: "tls:index/privateKey:PrivateKey",
    cert: "tls:index/selfSignedCert:SelfSignedCert",
    secret: "aws:secretsmanager/secret:Secret",
    version: "aws:secretsmanager/secretVersion:SecretVersion",
};
/** Resources that generate secrets; under the mocks their results are not marked secret. */
const GENERATORS = new Set([T.password, T.randomId, T.privateKey]);
const ANALYTICS_TOKEN = `${OFFLINE_SECRET_PREFIX}analytics-token`;

const config = sampleConfig({ nodeCount: 2 });
const plan = planCluster(config);
const STACK_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-stack-key";
/** A 4.7 stack with gateways and analytics: its gateways reference every server value but the database's. */
const GATEWAYS = { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) };
const gatewayConfig = sampleConfig({
    ...GATEWAYS,
    analyticsEnabled: true,
    analyticsConfigEndpoint: "https://analytics.example.com/auth/v1",
    analyticsAuthToken: "offline-secret-config-analyticsAuthToken",
});
const gatewayPlan = planCluster(gatewayConfig);
const CONTRACT_KEYS = [...Object.values(SERVER_SECRET_ENV), ...Object.values(BOOT_ONLY_SECRET_KEYS)];

interface Deployed {
    secrets: ClusterSecretsClass;
    resources: RecordedResource[];
    document: Record<string, string>;
    secretArn: string;
    dbMasterPassword: string;
}

let run: OfflineRun;
const deployed: Record<string, Deployed> = {};

async function deploy(name: string, analyticsAuthToken?: pulumi.Input<string>, gatewayKeys?: readonly string[]): Promise<void> {
    const { ClusterSecrets } = require("../../components/clusterSecrets") as { ClusterSecrets: typeof ClusterSecretsClass };
    const secrets = new ClusterSecrets(name, {
        hostNames: config.hostNames,
        nodeHostNames: plan.nodes.map((n) => n.hostName),
        kmsKeyArn: STACK_KEY_ARN,
        analyticsAuthToken,
        gatewaySecretKeys: gatewayKeys,
    });
    const [secretArn, dbMasterPassword] = await Promise.all([resolve(secrets.secretArn), resolve(secrets.dbMasterPassword)]);
    await settle();
    const resources = tree(run, name);
    const document = JSON.parse(plain(resources.find((r) => r.name === `${name}-secret-value`)!.inputs.secretString));
    deployed[name] = { secrets, resources, document, secretArn, dbMasterPassword };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("secrets");
    await deploy("analytics", pulumi.secret(ANALYTICS_TOKEN));
    await deploy("gateways", pulumi.secret(ANALYTICS_TOKEN), gatewaySecretKeys(gatewayConfig, gatewayPlan));
});

const d = () => deployed.secrets;

describe("the stack secret", () => {
    test("holds exactly the contract keys, the analytics token only when analytics is on", () => {
        const withoutAnalytics = CONTRACT_KEYS.filter((k) => k !== SERVER_SECRET_ENV.analyticsAuthToken);
        expect(Object.keys(d().document).sort()).toEqual([...withoutAnalytics].sort());
        expect(Object.keys(deployed.analytics.document).sort()).toEqual([...CONTRACT_KEYS].sort());
        expect(deployed.analytics.document[SERVER_SECRET_ENV.analyticsAuthToken]).toBe(ANALYTICS_TOKEN);
    });

    test("is written as a secret value", () => {
        expect(wasSecret(one(d().resources, T.version).inputs.secretString)).toBe(true);
    });

    test("is encrypted with the stack key it is given, and creates no key of its own", () => {
        const secret = one(d().resources, T.secret);
        expect(secret.inputs.kmsKeyId).toBe(STACK_KEY_ARN);
        expect(ofType(d().resources, "aws:kms/key:Key")).toEqual([]);
        expect(d().secretArn).toBe(secret.outputs.arn);
    });

    test("has no fixed name (replacements must not collide) and a 7-day recovery window", () => {
        const secret = one(d().resources, T.secret);
        expect(secret.inputs.name).toBeUndefined();
        expect(secret.inputs.recoveryWindowInDays).toBe(7);
    });

    test("every value is distinct and generated (the certificate is public)", () => {
        const values = Object.entries(d().document)
            .filter(([k]) => k !== BOOT_ONLY_SECRET_KEYS.keystoreCertificatePem)
            .map(([, v]) => v);
        for (const v of values) expect(v.startsWith(OFFLINE_SECRET_PREFIX)).toBe(true);
        expect(new Set(values).size).toBe(values.length);
        expect(d().document[BOOT_ONLY_SECRET_KEYS.keystoreCertificatePem]).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });
});

describe("the gateways' secret", () => {
    const g = () => deployed.gateways;
    const byName = (part: string) => g().resources.find((r) => r.name === `gateways-${part}`)!;
    const gatewayDocument = () => JSON.parse(plain(byName("gateway-secret-value").inputs.secretString)) as Record<string, string>;

    test("exists only with gateway keys", () => {
        expect(ofType(d().resources, T.secret)).toHaveLength(1);
        expect(d().secrets.gatewaySecretArn).toBeUndefined();
        expect(ofType(g().resources, T.secret)).toHaveLength(2);
    });

    test("holds exactly the keys the gateways' deployment.toml references and the keystore's PEMs, no database password", () => {
        const keys = gatewaySecretKeys(gatewayConfig, gatewayPlan);
        expect(keys).toEqual(deploymentTomlSecretKeys(renderGatewayDeploymentToml(gatewayConfig, gatewayPlan)));
        expect(keys).toEqual([
            "KEYSTORE_CERTIFICATE_PEM",
            "KEYSTORE_PRIVATE_KEY_PEM",
            "WSO2_ADMIN_PASSWORD",
            "WSO2_ANALYTICS_AUTH_TOKEN",
            "WSO2_ENCRYPTION_KEY",
            "WSO2_KEYSTORE_PASSWORD",
            "WSO2_TRUSTSTORE_PASSWORD",
        ]);
        expect(Object.keys(gatewayDocument()).sort()).toEqual(keys);
        expect(Object.keys(gatewayDocument()).filter((k) => /^(WSO2_)?DB_/.test(k))).toEqual([]);
    });

    test("carries the stack secret's values, written as a secret value", () => {
        for (const [k, v] of Object.entries(gatewayDocument())) expect([k, v]).toEqual([k, g().document[k]]);
        expect(wasSecret(byName("gateway-secret-value").inputs.secretString)).toBe(true);
    });

    test("is encrypted with the stack key, named and kept as the stack secret is, and its ARN exposed", async () => {
        const [stack, gateway] = [byName("secret"), byName("gateway-secret")];
        expect(gateway.inputs).toMatchObject({ kmsKeyId: STACK_KEY_ARN, namePrefix: stack.inputs.namePrefix, recoveryWindowInDays: 7 });
        expect(gateway.inputs.name).toBeUndefined();
        expect(byName("gateway-secret-value").inputs.secretId).toBe(gateway.id);
        expect(await resolve(g().secrets.gatewaySecretArn!)).toBe(gateway.outputs.arn);
        expect(gateway.outputs.arn).not.toBe(g().secretArn);
    });

    test("refuses a key the stack secret lacks (the analytics token without analytics)", () => {
        expect(() => gatewaySecretDocument({ WSO2_ADMIN_PASSWORD: "a" }, ["WSO2_ADMIN_PASSWORD", "WSO2_ANALYTICS_AUTH_TOKEN"])).toThrow(/WSO2_ANALYTICS_AUTH_TOKEN/);
    });
});

test("a 4.5 or 4.6 gateway's secret has no encryption key, and a placeholder the stack secret has no key for is refused", () => {
    for (const version of ["4.5.0", "4.6.0"] as const) {
        const c = sampleConfig({ ...GATEWAYS, apimVersion: version });
        expect(gatewaySecretKeys(c, planCluster(c))).toEqual(["KEYSTORE_CERTIFICATE_PEM", "KEYSTORE_PRIVATE_KEY_PEM", "WSO2_ADMIN_PASSWORD", "WSO2_KEYSTORE_PASSWORD", "WSO2_TRUSTSTORE_PASSWORD"]);
    }
    expect(() => deploymentTomlSecretKeys('password = "$secret{ldap_password}"')).toThrow(/WSO2_LDAP_PASSWORD/);
});

test("passwords are 32 alphanumeric characters (safe in WSO2's AMQP URL and systemd env files)", () => {
    const passwords = ofType(d().resources, T.password);
    expect(passwords).toHaveLength(5);
    for (const p of passwords) {
        expect(p.inputs).toMatchObject({ length: 32, special: false });
        expect(p.inputs.overrideSpecial).toBeUndefined();
    }
    const generated = new Set(passwords.map((p) => p.outputs.result));
    for (const key of [
        SERVER_SECRET_ENV.adminPassword,
        SERVER_SECRET_ENV.dbPassword,
        SERVER_SECRET_ENV.keystorePassword,
        SERVER_SECRET_ENV.truststorePassword,
        BOOT_ONLY_SECRET_KEYS.dbMasterPassword,
    ]) {
        expect(generated.has(d().document[key])).toBe(true);
    }
});

test("the encryption key is 32 random bytes as hex", () => {
    const id = one(d().resources, T.randomId);
    expect(id.inputs.byteLength).toBe(32);
    expect(d().document[SERVER_SECRET_ENV.encryptionKey]).toBe(id.outputs.hex);
});

test("one keystore certificate for the portal, the gateway, every node and localhost, valid for about three years", () => {
    expect(one(d().resources, T.privateKey).inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    const cert = one(d().resources, T.cert);
    expect(cert.inputs.subject.commonName).toBe(config.hostNames.portal);
    expect(cert.inputs.dnsNames).toEqual(expect.arrayContaining([config.hostNames.portal, config.hostNames.gateway, ...plan.nodes.map((n) => n.hostName), "localhost"]));
    expect(cert.inputs.allowedUses.sort()).toEqual(["client_auth", "digital_signature", "key_encipherment", "server_auth"]);
    expect(cert.inputs.validityPeriodHours / 24 / 365).toBeCloseTo(3, 0);
    expect(d().document[BOOT_ONLY_SECRET_KEYS.keystorePrivateKeyPem]).toBe(one(d().resources, T.privateKey).outputs.privateKeyPem);
});

test("the certificate names the gateways' control-plane name only when given one: a pair-only stack keeps its names", () => {
    const nodes = plan.nodes.map((n) => n.hostName);
    const { portal, gateway } = config.hostNames;
    expect(keystoreCertificateDnsNames(config.hostNames, nodes)).toEqual([portal, gateway, ...nodes, "localhost"]);
    expect(keystoreCertificateDnsNames(config.hostNames, nodes, "control-plane.apim.internal")).toEqual([portal, gateway, ...nodes, "control-plane.apim.internal", "localhost"]);
    expect(one(d().resources, T.cert).inputs.dnsNames).toEqual(keystoreCertificateDnsNames(config.hostNames, nodes));
});

test("the RDS master password output is secret and matches the one in the secret", async () => {
    expect(await pulumi.isSecret(d().secrets.dbMasterPassword)).toBe(true);
    expect(d().dbMasterPassword).toBe(d().document[BOOT_ONLY_SECRET_KEYS.dbMasterPassword]);
});

test("plain outputs carry no secret", async () => {
    for (const output of [d().secrets.secretArn, d().secrets.keystoreCertificatePem]) {
        expect(await pulumi.isSecret(output)).toBe(false);
        expect(await resolve(output)).not.toContain(OFFLINE_SECRET_PREFIX);
    }
});

test("outside the generators, generated secrets appear only inside secret values", () => {
    for (const name of ["secrets", "analytics", "gateways"]) {
        for (const r of deployed[name].resources.filter((x) => !GENERATORS.has(x.type))) {
            expect({ name: r.name, leaks: [...plainSecretPaths(r.inputs), ...plainSecretPaths(r.outputs)] }).toEqual({ name: r.name, leaks: [] });
        }
    }
});

test("an invalid recovery window is refused", () => {
    const { ClusterSecrets } = require("../../components/clusterSecrets") as { ClusterSecrets: typeof ClusterSecretsClass };
    expect(() => new ClusterSecrets("bad", { hostNames: config.hostNames, nodeHostNames: [], kmsKeyArn: STACK_KEY_ARN, recoveryWindowInDays: 3 })).toThrow(/0 or 7-30/);
});

test("the document builder refuses an empty value", () => {
    const values = {
        adminPassword: "a",
        dbPassword: "b",
        keystorePassword: "c",
        truststorePassword: "d",
        encryptionKey: "e",
        analyticsAuthToken: undefined,
        dbMasterPassword: "f",
        keystorePrivateKeyPem: "g",
        keystoreCertificatePem: "",
    };
    expect(() => clusterSecretDocument(values)).toThrow(/KEYSTORE_CERTIFICATE_PEM/);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});

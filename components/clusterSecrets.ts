import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { clusterSecretDocument } from "../lib/aws/clusterSecretDocument";

export interface ClusterSecretsArgs {
    /** Public host names; the portal host is the keystore certificate's CN, both are SANs. */
    readonly hostNames: { readonly portal: string; readonly gateway: string };
    /** Private node names (apim-<n>.<zone>), added to the certificate's SANs so peers can verify each other. */
    readonly nodeHostNames: readonly string[];
    /**
     * The private name the Universal Gateways reach the pair's control plane by (control-plane.<zone>), added
     * to the SANs so they can verify it; only with gateways, so a pair-only stack keeps its certificate.
     */
    readonly controlPlaneHostName?: string;
    /** The stack key (components/stackKey.ts) the secret is encrypted with. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Only when analytics is enabled; omitted, the secret carries no WSO2_ANALYTICS_AUTH_TOKEN key. */
    readonly analyticsAuthToken?: pulumi.Input<string>;
    /**
     * Days Secrets Manager keeps the secret recoverable after deletion. Default 7; 0 deletes at once
     * (dev stacks that are torn down and recreated), otherwise 7-30.
     */
    readonly recoveryWindowInDays?: number;
    /**
     * With Universal Gateways: the keys of their own secret (lib/node/gatewayDeploymentToml.ts
     * gatewaySecretKeys), a subset of the stack secret's, so a gateway cannot read the database passwords.
     */
    readonly gatewaySecretKeys?: readonly string[];
}

/** Generated passwords: alphanumeric, since WSO2's AMQP URL breaks on @ # / ? % ' and systemd env files on quotes. */
export const GENERATED_PASSWORD_LENGTH = 32;

/** Validity of the WSO2 keystore certificate (about three years); renewing it is a deliberate replacement. */
export const KEYSTORE_CERT_VALIDITY_HOURS = 3 * 365 * 24;

/** DNS names the WSO2 keystore certificate covers: portal first, gateway, every node, the control plane (with gateways), localhost. */
export function keystoreCertificateDnsNames(
    hostNames: { portal: string; gateway: string },
    nodeHostNames: readonly string[],
    controlPlaneHostName?: string,
): string[] {
    return [...new Set([hostNames.portal, hostNames.gateway, ...nodeHostNames, ...(controlPlaneHostName ? [controlPlaneHostName] : []), "localhost"])];
}

export function validateRecoveryWindow(days: number): number {
    if (!(Number.isInteger(days) && (days === 0 || (days >= 7 && days <= 30)))) {
        throw new Error(`ClusterSecrets: recoveryWindowInDays must be 0 or 7-30 (a Secrets Manager limit), got ${days}`);
    }
    return days;
}

/** The gateways' document: exactly `keys` of the stack secret's, each of which it must carry. */
export function gatewaySecretDocument(doc: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
    const missing = keys.filter((k) => doc[k] === undefined);
    if (missing.length > 0) throw new Error(`ClusterSecrets: the gateways need ${missing.join(", ")}, which the stack secret lacks`);
    return Object.fromEntries(keys.map((k) => [k, doc[k]]));
}

/**
 * Every secret the cluster needs, generated once and identical on every node, in one Secrets Manager
 * secret encrypted with the stack key, that nodes read at boot (never through user data); with gateways,
 * a second one holding only what they read.
 */
export class ClusterSecrets extends pulumi.ComponentResource {
    readonly secretArn: pulumi.Output<string>;
    /** pulumi.secret; the RDS master password (also in the secret as DB_MASTER_PASSWORD for the boot script). */
    readonly dbMasterPassword: pulumi.Output<string>;
    /** The keystore certificate (public), e.g. for a client that wants to pin it. */
    readonly keystoreCertificatePem: pulumi.Output<string>;
    /** The secret's value (its version): whoever reads the secret at start-up must wait for it, not just for the secret. */
    readonly secretValue: pulumi.Resource;
    /** Only with gatewaySecretKeys: the gateways' secret and its value (the gateways wait for the value). */
    readonly gatewaySecretArn?: pulumi.Output<string>;
    readonly gatewaySecretValue?: pulumi.Resource;

    constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        const recoveryWindowInDays = validateRecoveryWindow(args.recoveryWindowInDays ?? 7);
        super("wso2-apim-ha:clusterSecrets:ClusterSecrets", name, {}, opts);
        const parent = { parent: this };

        const password = (part: string) =>
            pulumi.secret(
                new random.RandomPassword(
                    `${name}-${part}`,
                    { length: GENERATED_PASSWORD_LENGTH, special: false, upper: true, lower: true, numeric: true, minUpper: 2, minLower: 2, minNumeric: 2 },
                    parent,
                ).result,
            );
        const adminPassword = password("admin-password");
        const dbPassword = password("db-password");
        const dbMasterPassword = password("db-master-password");
        const keystorePassword = password("keystore-password");
        const truststorePassword = password("truststore-password");
        // API-M 4.7's symmetric [encryption] key: 32 random bytes as hex, the same on every node.
        const encryptionKey = pulumi.secret(new random.RandomId(`${name}-encryption-key`, { byteLength: 32 }, parent).hex);

        // Seed step 1: one keystore for all nodes, since its key signs tokens that any node must verify.
        const keystoreKey = new tls.PrivateKey(`${name}-keystore-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        const keystoreCert = new tls.SelfSignedCert(
            `${name}-keystore-cert`,
            {
                privateKeyPem: keystoreKey.privateKeyPem,
                subject: { commonName: args.hostNames.portal, organization: "WSO2 API Manager" },
                dnsNames: keystoreCertificateDnsNames(args.hostNames, args.nodeHostNames, args.controlPlaneHostName),
                ipAddresses: ["127.0.0.1"],
                validityPeriodHours: KEYSTORE_CERT_VALIDITY_HOURS,
                allowedUses: ["key_encipherment", "digital_signature", "server_auth", "client_auth"],
            },
            parent,
        );

        const analyticsAuthToken = args.analyticsAuthToken === undefined ? undefined : pulumi.output(args.analyticsAuthToken);
        const document = pulumi
            .all([
                pulumi.all([adminPassword, dbPassword, keystorePassword, truststorePassword, encryptionKey, dbMasterPassword]),
                analyticsAuthToken,
                keystoreKey.privateKeyPem,
                keystoreCert.certPem,
            ])
            .apply(([[admin, db, keystore, truststore, encryption, dbMaster], analytics, privateKeyPem, certificatePem]) =>
                clusterSecretDocument({
                    adminPassword: admin,
                    dbPassword: db,
                    keystorePassword: keystore,
                    truststorePassword: truststore,
                    encryptionKey: encryption,
                    analyticsAuthToken: analytics,
                    dbMasterPassword: dbMaster,
                    keystorePrivateKeyPem: privateKeyPem,
                    keystoreCertificatePem: certificatePem,
                }),
            );
        // No fixed name: a replacement must not collide with the old secret during its recovery window.
        const stored = (part: string, description: string, value: pulumi.Output<Record<string, string>>) => {
            const secret = new aws.secretsmanager.Secret(
                `${name}-${part}`,
                { namePrefix: `${pulumi.getProject()}/${pulumi.getStack()}/`, description, kmsKeyId: args.kmsKeyArn, recoveryWindowInDays },
                parent,
            );
            const version = new aws.secretsmanager.SecretVersion(
                `${name}-${part}-value`,
                { secretId: secret.id, secretString: pulumi.secret(value.apply((doc) => JSON.stringify(doc))) },
                parent,
            );
            return { secret, version };
        };
        const { secret, version } = stored("secret", "WSO2 API-M passwords, encryption key and keystore; the nodes read it at boot", document);
        this.secretValue = version;
        if (args.gatewaySecretKeys) {
            const keys = args.gatewaySecretKeys;
            const gateway = stored(
                "gateway-secret",
                "WSO2 API-M Universal Gateways' passwords and keystore, no database password; the gateways read it at boot",
                document.apply((doc) => gatewaySecretDocument(doc, keys)),
            );
            this.gatewaySecretArn = gateway.secret.arn;
            this.gatewaySecretValue = gateway.version;
        }

        this.secretArn = secret.arn;
        this.dbMasterPassword = dbMasterPassword;
        this.keystoreCertificatePem = keystoreCert.certPem;
        this.registerOutputs({
            secretArn: this.secretArn,
            dbMasterPassword: this.dbMasterPassword,
            keystoreCertificatePem: this.keystoreCertificatePem,
            gatewaySecretArn: this.gatewaySecretArn,
        });
    }
}

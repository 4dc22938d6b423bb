/**
 * Keys of the stack's one Secrets Manager secret (a JSON object). This is the contract between the
 * program that fills the secret, deployment.toml's placeholders and the boot script. A server value
 * reaches WSO2 in one of two ways, chosen by the placeholder the renderer writes:
 * - `$secret{alias}` (Secure Vault): the boot script encrypts the value of `WSO2_<ALIAS>` with the
 *   keystore's certificate into deployment.toml's `[secrets]` table, so no file WSO2 generates holds it;
 * - `$env{WSO2_…}`: the boot script exports the value into the server's environment (root-only env file).
 * The other keys are used only while the boot script sets the node up.
 */
export const SERVER_SECRET_ENV = {
    adminPassword: "WSO2_ADMIN_PASSWORD",
    dbPassword: "WSO2_DB_PASSWORD",
    keystorePassword: "WSO2_KEYSTORE_PASSWORD",
    truststorePassword: "WSO2_TRUSTSTORE_PASSWORD",
    encryptionKey: "WSO2_ENCRYPTION_KEY",
    analyticsAuthToken: "WSO2_ANALYTICS_AUTH_TOKEN",
} as const;

export const BOOT_ONLY_SECRET_KEYS = {
    dbMasterPassword: "DB_MASTER_PASSWORD",
    keystorePrivateKeyPem: "KEYSTORE_PRIVATE_KEY_PEM",
    keystoreCertificatePem: "KEYSTORE_CERTIFICATE_PEM",
} as const;

/** A WSO2 placeholder resolved from the server process's environment at start. */
export function envPlaceholder(name: string): string {
    return `$env{${name}}`;
}

/** The Secure Vault alias of a `WSO2_*` secret key: WSO2_ADMIN_PASSWORD → admin_password (the boot script inverts it). */
export function vaultAlias(secretKey: string): string {
    if (!/^WSO2_[A-Z0-9_]+$/.test(secretKey)) throw new Error(`vaultAlias: ${secretKey} is not a WSO2_* secret key`);
    return secretKey.slice("WSO2_".length).toLowerCase();
}

/** A WSO2 placeholder resolved by Secure Vault from deployment.toml's `[secrets]` table. */
export function vaultPlaceholder(secretKey: string): string {
    return `$secret{${vaultAlias(secretKey)}}`;
}

/**
 * The secret keys a machine without a database step reads (the Universal Gateways): each `$secret{alias}`
 * and `$env{WSO2_*}` of its deployment.toml, and the keystore's PEMs, sorted. The gateways' secret holds
 * exactly these, so it never carries a database password.
 */
export function deploymentTomlSecretKeys(deploymentToml: string): string[] {
    const known = new Set<string>(Object.values(SERVER_SECRET_ENV));
    const keys = new Set<string>([BOOT_ONLY_SECRET_KEYS.keystorePrivateKeyPem, BOOT_ONLY_SECRET_KEYS.keystoreCertificatePem]);
    for (const [, alias, env] of deploymentToml.matchAll(/\$secret\{([^}]*)\}|\$env\{(WSO2_[A-Z0-9_]*)\}/g)) {
        const key = env ?? `WSO2_${alias.toUpperCase()}`;
        if (!known.has(key)) throw new Error(`deploymentTomlSecretKeys: ${key} is no key of the stack secret`);
        keys.add(key);
    }
    return [...keys].sort();
}

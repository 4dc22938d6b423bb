/**
 * Keys of the stack's one Secrets Manager secret (a JSON object). This is the contract between the
 * program that fills the secret, deployment.toml's `$env{...}` placeholders and the boot script:
 * the boot script exports every `WSO2_*` key into the server's environment, and uses the others
 * only while it sets the node up.
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

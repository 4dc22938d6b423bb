import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import * as tls from "@pulumi/tls";
import type { CertificateConfig } from "../lib/config/stackConfig";

export interface LoadBalancerCertificateArgs {
    /**
     * Where the certificate comes from. "existing": the given ACM ARN, nothing is created.
     * "dns-validated": an ACM certificate validated through `publicZoneId` (required in that mode).
     * "self-signed": a generated key and certificate imported into ACM; for dev stacks only, since no
     * browser or API client trusts it.
     */
    readonly certificate: CertificateConfig;
    /** Both names go on the certificate: the portal host as subject, the gateway host as SAN. */
    readonly hostNames: { readonly portal: string; readonly gateway: string };
    /** The public Route53 zone holding both host names. Required with "dns-validated"; ignored otherwise. */
    readonly publicZoneId?: pulumi.Input<string>;
}

/** The TLS certificate of the load balancer's HTTPS listeners. */
export class LoadBalancerCertificate extends pulumi.ComponentResource {
    /** ACM certificate ARN; with "dns-validated", only known once validation has succeeded. */
    readonly certificateArn: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:loadBalancerCertificate:LoadBalancerCertificate", name, {}, opts);
        const { portal, gateway } = args.hostNames;
        const mode = args.certificate;

        switch (mode.mode) {
            case "existing":
                this.certificateArn = pulumi.output(mode.arn);
                break;
            case "dns-validated": {
                if (args.publicZoneId === undefined) throw new Error(`${name}: certificate mode "dns-validated" needs publicZoneId`);
                const certificate = new aws.acm.Certificate(
                    `${name}-acm`,
                    { domainName: portal, subjectAlternativeNames: [gateway], validationMethod: "DNS" },
                    { parent: this },
                );
                const records = [portal, gateway].map((domain, i) => {
                    const option = certificate.domainValidationOptions.apply((options) => {
                        const found = options.find((o) => o.domainName === domain);
                        if (!found) throw new Error(`ACM returned no DNS validation record for ${domain}`);
                        return found;
                    });
                    return new aws.route53.Record(
                        `${name}-validation-${i + 1}`,
                        {
                            zoneId: args.publicZoneId!,
                            name: option.resourceRecordName,
                            type: option.resourceRecordType,
                            records: [option.resourceRecordValue],
                            ttl: 60,
                            // The record may already exist from an earlier certificate for the same name.
                            allowOverwrite: true,
                        },
                        { parent: this },
                    );
                });
                const validation = new aws.acm.CertificateValidation(
                    `${name}-validation`,
                    { certificateArn: certificate.arn, validationRecordFqdns: records.map((r) => r.fqdn) },
                    { parent: this },
                );
                this.certificateArn = validation.certificateArn;
                break;
            }
            case "self-signed": {
                const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
                const cert = new tls.SelfSignedCert(
                    `${name}-cert`,
                    {
                        privateKeyPem: key.privateKeyPem,
                        subject: { commonName: portal, organization: "wso2-apim-ha (self-signed, dev only)" },
                        dnsNames: [portal, gateway],
                        validityPeriodHours: 365 * 24,
                        earlyRenewalHours: 30 * 24,
                        allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
                    },
                    { parent: this },
                );
                const imported = new aws.acm.Certificate(
                    `${name}-imported`,
                    { privateKey: key.privateKeyPem, certificateBody: cert.certPem },
                    { parent: this },
                );
                this.certificateArn = imported.arn;
                break;
            }
        }

        this.registerOutputs({ certificateArn: this.certificateArn });
    }
}

/**
 * The AWS APIs the nodes call, reached through VPC endpoints when `vpcEndpoints` is on so that those
 * calls never leave the VPC (downloads from GitHub and Maven Central still go through NAT).
 */

export interface EndpointService {
    /** The service's part of the endpoint service name (com.amazonaws.<region>.<service>). */
    readonly service: string;
    /** Who on the node calls it. */
    readonly calledBy: string;
}

/** Interface endpoints, each with private DNS so the SDKs' default endpoint names resolve to it. */
export const INTERFACE_ENDPOINT_SERVICES: readonly EndpointService[] = [
    { service: "secretsmanager", calledBy: "the boot script, reading the stack secret" },
    // Nothing on the node calls KMS today (Secrets Manager decrypts the secret on its side); listed so that
    // any direct use of the stack key stays inside the VPC as well.
    { service: "kms", calledBy: "direct users of the stack key (none today)" },
    { service: "logs", calledBy: "the CloudWatch agent, shipping boot and server logs" },
    { service: "monitoring", calledBy: "CloudWatch metrics published from the node (the CloudWatch agent, when it sends metrics)" },
    { service: "ssm", calledBy: "the SSM agent (Session Manager)" },
    { service: "ssmmessages", calledBy: "the SSM agent's session channel" },
    { service: "ec2messages", calledBy: "the SSM agent's command channel" },
];

/** Gateway endpoints, added to the private route tables: Amazon Linux's package repositories live in S3. */
export const GATEWAY_ENDPOINT_SERVICES: readonly EndpointService[] = [
    { service: "s3", calledBy: "dnf (Amazon Linux repositories) and the CloudWatch agent package" },
];

/**
 * The endpoint service name: the partition's DNS suffix reversed, the region, the service
 * (amazonaws.com → com.amazonaws.eu-west-1.s3; amazonaws.com.cn → cn.com.amazonaws.cn-north-1.s3).
 */
export function endpointServiceName(dnsSuffix: string, region: string, service: string): string {
    if (!/^[a-z0-9.-]+$/.test(dnsSuffix) || !/^[a-z0-9-]+$/.test(region) || !/^[a-z0-9.-]+$/.test(service)) {
        throw new Error(`endpointServiceName: unexpected DNS suffix, region or service: ${dnsSuffix}, ${region}, ${service}`);
    }
    return [...dnsSuffix.split(".").reverse(), region, service].join(".");
}

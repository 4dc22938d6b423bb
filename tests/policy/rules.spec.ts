import * as zlib from "zlib";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import type { RecordedResource } from "../../lib/offline/offlineMocks";
import { CHECKLIST } from "../../policy/rules";
import { isDevelopment, readProperty, statementsOf, userDataText } from "../../policy/model";
import { evaluatePolicies } from "./policyRun";
import { gatewayGroupArgs, gatewayLaunchTemplateArgs } from "../../lib/aws/gatewayFleet";

/** Every policy of the pack, through its @pulumi/policy adapter: a resource it fires on, and one it holds for. */

/** A resource as the engine hands it over: properties set to undefined are absent. */
function res(type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, string[]> = {}): RecordedResource {
    const defined = JSON.parse(JSON.stringify(props));
    return { type, name, id: `${name}-id`, parent: null, inputs: defined, outputs: defined, dependsOn: Object.values(propertyDependencies).flat(), propertyDependencies, custom: true, protect: false };
}

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d";
const gzipBase64 = (text: string) => zlib.gzipSync(Buffer.from(text)).toString("base64");
const instance = (name: string, props: Record<string, unknown> = {}, deps: Record<string, string[]> = {}) =>
    res("aws:ec2/instance:Instance", name, {
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
        associatePublicIpAddress: false,
        rootBlockDevice: { encrypted: true, kmsKeyId: KEY, volumeType: "gp3" },
        iamInstanceProfile: "profile",
        ...props,
    }, deps);
const ingress = (name: string, port: number, from: Record<string, unknown>, extra: Record<string, unknown> = {}, deps: Record<string, string[]> = {}) =>
    res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: port, toPort: port, description: "why", ...from, ...extra }, deps);
const alb = (props: Record<string, unknown> = {}) =>
    res("aws:lb/loadBalancer:LoadBalancer", "alb", {
        loadBalancerType: "application",
        internal: false,
        subnets: ["subnet-a", "subnet-b"],
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "strictest",
        enableDeletionProtection: true,
        accessLogs: { bucket: "logs", enabled: true },
        ...props,
    });
const database = (props: Record<string, unknown> = {}, deps: Record<string, string[]> = { parameterGroupName: ["params"] }) =>
    res("aws:rds/instance:Instance", "db", {
        engine: "mysql",
        storageEncrypted: true,
        kmsKeyId: KEY,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        copyTagsToSnapshot: true,
        enabledCloudwatchLogsExports: ["error"],
        backupRetentionPeriod: 7,
        multiAz: true,
        deletionProtection: true,
        parameterGroupName: "params",
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: KEY,
        ...props,
    }, deps);
const parameters = (value: string) => res("aws:rds/parameterGroup:ParameterGroup", "params", { family: "mysql8.0", parameters: [{ name: "require_secure_transport", value }] });
const policyJson = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const efsPolicy = (deny: boolean) =>
    res("aws:efs/fileSystemPolicy:FileSystemPolicy", "fs-policy", {
        fileSystemId: "fs-1",
        policy: policyJson(deny ? [{ Effect: "Deny", Principal: { AWS: "*" }, Action: "*", Resource: "arn", Condition: { Bool: { "aws:SecureTransport": "false" } } }] : [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "elasticfilesystem:ClientMount", Resource: "arn" }]),
    }, { fileSystemId: ["fs"] });
const fileSystem = res("aws:efs/fileSystem:FileSystem", "fs", { encrypted: true, kmsKeyId: KEY });
const subnet = (name: string, mapPublicIpOnLaunch: boolean, availabilityZone = "eu-west-1a") => res("aws:ec2/subnet:Subnet", name, { mapPublicIpOnLaunch, cidrBlock: "10.0.0.0/24", availabilityZone });
/** The gateways' launch template as components/gatewayFleet.ts declares it, with any input replaced. */
const template = (props: Record<string, unknown> = {}, deps: Record<string, string[]> = {}) =>
    res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        ...gatewayLaunchTemplateArgs<string>({
            imageId: "ami-1", instanceType: "c6i.large", instanceProfileName: "profile", securityGroupId: "sg-1", kmsKeyArn: KEY,
            userDataBase64: gzipBase64("#cloud-config\nwrite_files:\n  - path: /etc/wso2am/gateway.env\n    content: |\n      NODE_NAME=gateway\n"),
            tags: { Name: "gateway" },
        }),
        ...props,
    }, deps);
/** The gateways' group in two private subnets of two zones, behind a target group. */
const group = (props: Record<string, unknown> = {}, zones: [string, string] = ["eu-west-1a", "eu-west-1b"]) => [
    subnet("private-a", false, zones[0]),
    subnet("private-b", false, zones[1]),
    template(),
    res("aws:autoscaling/group:Group", "asg", {
        ...gatewayGroupArgs<string>({ subnetIds: ["subnet-a", "subnet-b"], minSize: 2, maxSize: 6, targetGroupArns: ["arn:tg"], launchTemplateId: "lt-id", launchTemplateVersion: "1", tags: { Project: "p" } }),
        ...props,
    }, { vpcZoneIdentifiers: ["private-a", "private-b"], launchTemplate: ["lt"] }),
];
const ssmRole = (withPolicy: boolean) => [
    res("aws:iam/instanceProfile:InstanceProfile", "profile", { role: "role" }, { role: ["role"] }),
    res("aws:iam/role:Role", "role", { assumeRolePolicy: "{}" }),
    ...(withPolicy ? [res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ssm", { role: "role", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, { role: ["role"] })] : []),
];

interface Case {
    readonly label: string;
    readonly resources: RecordedResource[];
    /** Stack name; default prod. */
    readonly stack?: string;
    /** Fires: a message must match. */
    readonly message?: RegExp;
}

const CASES: Record<string, { fires: Case[]; holds: Case[] }> = {
    "ec2-imdsv2-required": {
        fires: [
            { label: "tokens optional", resources: [instance("i", { metadataOptions: { httpTokens: "optional" } })], message: /IMDSv2/ },
            { label: "no metadata options at all", resources: [instance("i", { metadataOptions: undefined })], message: /httpTokens/ },
            { label: "hop limit 3", resources: [instance("i", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } })], message: /hop/i },
            { label: "a launch template with tokens optional", resources: [template({ metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } })], message: /IMDSv2/ },
            { label: "a launch template without metadata options", resources: [template({ metadataOptions: undefined })], message: /httpTokens/ },
            { label: "a launch template with hop limit 2 (CKV_AWS_341)", resources: [template({ metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })], message: /is 2, expected 1$/ },
        ],
        holds: [
            { label: "tokens required, hop limit 1", resources: [instance("i")] },
            { label: "an instance with hop limit 2", resources: [instance("i", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })] },
            { label: "the gateways' launch template", resources: [template()] },
        ],
    },
    "ec2-no-public-ip": {
        fires: [
            { label: "a public IP on the instance", resources: [instance("i", { associatePublicIpAddress: true })], message: /public IPv4/ },
            { label: "a subnet that hands out public IPs", resources: [subnet("s", true)], message: /mapPublicIpOnLaunch/ },
            {
                label: "a launch template's network interface with a public IP",
                resources: [template({ networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "true", securityGroups: ["sg-1"] }] })],
                message: /launch template gives instances a public IPv4/,
            },
        ],
        holds: [{ label: "private instance, subnet and launch template", resources: [instance("i"), subnet("s", false), template()] }],
    },
    "ec2-volumes-encrypted": {
        fires: [
            { label: "unencrypted root", resources: [instance("i", { rootBlockDevice: { encrypted: false, kmsKeyId: KEY } })], message: /root volume/ },
            { label: "unencrypted data volume", resources: [instance("i", { ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false, kmsKeyId: KEY }] })], message: /sdf/ },
            { label: "unencrypted EBS volume", resources: [res("aws:ebs/volume:Volume", "v", { size: 10, kmsKeyId: KEY })], message: /not encrypted/ },
            {
                label: "a launch template's unencrypted volume",
                resources: [template({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, encrypted: "false", kmsKeyId: KEY } }] })],
                message: /launch template's volume \/dev\/xvda is not encrypted/,
            },
            { label: "a launch template that maps no volume", resources: [template({ blockDeviceMappings: undefined })], message: /account default/ },
        ],
        holds: [{ label: "encrypted root, and the gateways' template", resources: [instance("i"), res("aws:ebs/volume:Volume", "v", { encrypted: true, kmsKeyId: KEY }), template()] }],
    },
    "ec2-no-secrets-in-user-data": {
        fires: [
            { label: "a literal password", resources: [instance("i", { userDataBase64: gzipBase64('[super_admin]\npassword = "hunter2hunter2"\n') })], message: /literal password/ },
            { label: "a literal password in a properties file", resources: [instance("i", { userData: "keystore.identity.store.password=wso2carbon\n" })], message: /literal password/ },
            { label: "a private key", resources: [instance("i", { userData: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n" })], message: /private key/ },
            { label: "an access key id", resources: [instance("i", { userData: "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE" })], message: /access key/ },
            { label: "a literal password in a launch template's gzip'd user data", resources: [template({ userData: gzipBase64('[apim.throttling]\npassword = "hunter2hunter2"\n') })], message: /literal password/ },
        ],
        holds: [
            {
                label: "placeholders only",
                resources: [instance("i", { userDataBase64: gzipBase64('password = "$env{WSO2_ADMIN_PASSWORD}"\nkey_password = "${admin.password}"\nprintf \'password="%s"\' "$p"\n# Non-secret: secrets come from Secrets Manager\nkeystore.identity.store.password=identity.store.password\n') })],
            },
            { label: "the gateways' launch template", resources: [template()] },
        ],
    },
    "ec2-instance-profile-no-ssh": {
        fires: [
            { label: "no instance profile", resources: [instance("i", { iamInstanceProfile: undefined })], message: /instance profile/ },
            { label: "SSH from the internet", resources: [ingress("ssh", 22, { cidrIpv4: "0.0.0.0/0" })], message: /SSH/ },
            { label: "all traffic from the internet over IPv6", resources: [ingress("all", 0, { cidrIpv6: "::/0" }, { ipProtocol: "-1" })], message: /SSH/ },
            { label: "a launch template without instance profile", resources: [template({ iamInstanceProfile: undefined })], message: /launch template gives its instances no instance profile/ },
        ],
        holds: [{ label: "a profile, and SSH only from a peer group", resources: [instance("i"), template(), ingress("ssh", 22, { referencedSecurityGroupId: "sg-2" })] }],
    },
    "ec2-managed-by-ssm": {
        fires: [
            {
                label: "a profile role without the SSM policy",
                resources: [
                    instance("i", {}, { iamInstanceProfile: ["profile"] }),
                    res("aws:iam/instanceProfile:InstanceProfile", "profile", { role: "role" }, { role: ["role"] }),
                    res("aws:iam/role:Role", "role", { assumeRolePolicy: "{}" }),
                ],
                message: /AmazonSSMManagedInstanceCore/,
            },
            {
                label: "a launch template whose profile role lacks the SSM policy",
                resources: [template({}, { iamInstanceProfile: ["profile"] }), ...ssmRole(false)],
                message: /launch template lt: its profile's role lacks AmazonSSMManagedInstanceCore/,
            },
        ],
        holds: [
            { label: "a launch template whose profile role carries AmazonSSMManagedInstanceCore", resources: [template({}, { iamInstanceProfile: ["profile"] }), ...ssmRole(true)] },
            {
                label: "the role carries AmazonSSMManagedInstanceCore",
                resources: [
                    instance("i", {}, { iamInstanceProfile: ["profile"] }),
                    res("aws:iam/instanceProfile:InstanceProfile", "profile", { role: "role" }, { role: ["role"] }),
                    res("aws:iam/role:Role", "role", { assumeRolePolicy: "{}" }),
                    res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ssm", { role: "role", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, { role: ["role"] }),
                ],
            },
        ],
    },
    "sg-internet-ingress-https-only": {
        fires: [
            { label: "8099 from the internet", resources: [ingress("wss", 8099, { cidrIpv4: "0.0.0.0/0" })], message: /port 8099/ },
            { label: "all traffic inline", resources: [res("aws:ec2/securityGroup:SecurityGroup", "sg", { description: "x", ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "all" }] })], message: /all traffic/ },
            { label: "a port range including 443", resources: [res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", protocol: "tcp", fromPort: 80, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "web" })], message: /ports 80-443/ },
        ],
        holds: [{ label: "443 and 80 from the internet, anything from a peer", resources: [ingress("https", 443, { cidrIpv4: "0.0.0.0/0" }), ingress("http", 80, { cidrIpv6: "::/0" }), ingress("jms", 5672, { referencedSecurityGroupId: "sg-2" })] }],
    },
    "sg-internet-ingress-load-balancers-only": {
        fires: [
            {
                label: "a world-open group on an instance",
                resources: [
                    res("aws:ec2/securityGroup:SecurityGroup", "open", { description: "open" }),
                    ingress("https", 443, { cidrIpv4: "0.0.0.0/0" }, {}, { securityGroupId: ["open"] }),
                    instance("i", { vpcSecurityGroupIds: ["sg-open"] }, { vpcSecurityGroupIds: ["open"] }),
                ],
                message: /Instance i uses a security group open to the internet/,
            },
        ],
        holds: [
            {
                label: "the world-open group only on the load balancer, referenced by the nodes' rules",
                resources: [
                    res("aws:ec2/securityGroup:SecurityGroup", "open", { description: "open" }),
                    ingress("https", 443, { cidrIpv4: "0.0.0.0/0" }, {}, { securityGroupId: ["open"] }),
                    { ...alb(), propertyDependencies: { securityGroups: ["open"] } },
                    ingress("from-lb", 8243, { referencedSecurityGroupId: "sg-open" }, {}, { securityGroupId: ["nodes"], referencedSecurityGroupId: ["open"] }),
                ],
            },
        ],
    },
    "sg-descriptions": {
        fires: [
            { label: "the provider's default group description", resources: [res("aws:ec2/securityGroup:SecurityGroup", "sg", { description: "Managed by Pulumi" })], message: /no description/ },
            { label: "a rule without description", resources: [ingress("r", 443, { cidrIpv4: "10.0.0.0/8" }, { description: "" })], message: /no description/ },
            { label: "an undescribed inline rule", resources: [res("aws:ec2/securityGroup:SecurityGroup", "sg", { description: "web", egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] })], message: /inline rule/ },
        ],
        holds: [{ label: "described group and rules", resources: [res("aws:ec2/securityGroup:SecurityGroup", "sg", { description: "web servers" }), ingress("r", 443, { cidrIpv4: "10.0.0.0/8" })] }],
    },
    "alb-https-listeners": {
        fires: [{ label: "HTTP forwarding", resources: [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] })], message: /plain HTTP/ }],
        holds: [
            {
                label: "HTTP redirecting to HTTPS",
                resources: [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] })],
            },
        ],
    },
    "alb-http-rules-redirect-only": {
        fires: [
            {
                label: "a forwarding rule on the HTTP listener",
                resources: [
                    res("aws:lb/listener:Listener", "http", { protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS" } }] }),
                    res("aws:lb/listenerRule:ListenerRule", "rule", { listenerArn: "l", actions: [{ type: "forward", targetGroupArn: "tg" }] }, { listenerArn: ["http"] }),
                ],
                message: /listener rule rule/,
            },
        ],
        holds: [
            {
                label: "forwarding rules on the HTTPS listener",
                resources: [
                    res("aws:lb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
                    res("aws:lb/listenerRule:ListenerRule", "rule", { listenerArn: "l", actions: [{ type: "forward", targetGroupArn: "tg" }] }, { listenerArn: ["https"] }),
                ],
            },
        ],
    },
    "alb-tls-policy": {
        fires: [
            { label: "no TLS policy (the 2016-08 default)", resources: [res("aws:lb/listener:Listener", "l", { protocol: "HTTPS" })], message: /2016-08/ },
            { label: "a policy still allowing TLS 1.1", resources: [res("aws:lb/listener:Listener", "l", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-1-2021-06" })], message: /older than TLS 1.2/ },
        ],
        holds: [
            { label: "TLS 1.3 + 1.2", resources: [res("aws:lb/listener:Listener", "l", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })] },
            { label: "FS 1.2 on a TLS listener", resources: [res("aws:lb/listener:Listener", "l", { protocol: "TLS", sslPolicy: "ELBSecurityPolicy-FS-1-2-Res-2020-10" })] },
        ],
    },
    "alb-header-hardening": {
        fires: [
            { label: "desync only monitored", resources: [alb({ desyncMitigationMode: "monitor" })], message: /desync/ },
        ],
        holds: [
            { label: "dropped and strictest", resources: [alb()] },
            { label: "a network load balancer (no HTTP headers)", resources: [alb({ loadBalancerType: "network", dropInvalidHeaderFields: undefined })] },
        ],
    },
    "alb-access-logs-deletion-protection": {
        fires: [
            { label: "a production load balancer without logs or protection", resources: [alb({ accessLogs: undefined, enableDeletionProtection: false })], message: /access logs/ },
            { label: "logs switched off", resources: [alb({ accessLogs: { bucket: "b", enabled: false } })], message: /access logs/ },
        ],
        holds: [
            { label: "logs and protection in production", resources: [alb()] },
            { label: "neither, on the dev stack", stack: "dev", resources: [alb({ accessLogs: undefined, enableDeletionProtection: false })] },
        ],
    },
    "alb-zones-health-checks": {
        fires: [
            { label: "one subnet", resources: [alb({ subnets: ["subnet-a"] })], message: /1 subnet/ },
            { label: "health check off", resources: [res("aws:lb/targetGroup:TargetGroup", "tg", { port: 8243, healthCheck: { enabled: false } })], message: /health check/ },
        ],
        holds: [{ label: "two subnets, a health-checked group", resources: [alb(), res("aws:lb/targetGroup:TargetGroup", "tg", { port: 8243, healthCheck: { enabled: true, path: "/" } })] }],
    },
    "rds-hardening": {
        fires: [
            { label: "public, unencrypted", resources: [database({ publiclyAccessible: true, storageEncrypted: false })], message: /publicly accessible|not encrypted/ },
            { label: "production without Multi-AZ or protection", resources: [database({ multiAz: false, deletionProtection: false })], message: /Multi-AZ/ },
            { label: "production with 1 day of backups", resources: [database({ backupRetentionPeriod: 1 })], message: /at least 7/ },
            { label: "dev without any backups", stack: "dev", resources: [database({ backupRetentionPeriod: 0, multiAz: false, deletionProtection: false })], message: /at least 1/ },
            { label: "no logs exported, tags not copied", resources: [database({ enabledCloudwatchLogsExports: [], copyTagsToSnapshot: false })], message: /logs|snapshots/ },
        ],
        holds: [
            { label: "production settings", resources: [database()] },
            { label: "dev economies: single-AZ, unprotected, 1 day of backups", stack: "dev", resources: [database({ multiAz: false, deletionProtection: false, backupRetentionPeriod: 1 })] },
        ],
    },
    "rds-requires-tls": {
        fires: [
            { label: "the default parameter group", resources: [database({ parameterGroupName: undefined }, {})], message: /default parameter group/ },
            { label: "a group that allows plain text", resources: [database(), parameters("0")], message: /require_secure_transport/ },
        ],
        holds: [{ label: "a group requiring TLS", resources: [database(), parameters("1")] }],
    },
    "efs-encryption-access-points-tls": {
        fires: [
            { label: "an unencrypted file system", resources: [res("aws:efs/fileSystem:FileSystem", "fs", {})], message: /not encrypted/ },
            { label: "an access point at the root, without POSIX user", resources: [res("aws:efs/accessPoint:AccessPoint", "ap", { rootDirectory: { path: "/" } })], message: /POSIX user/ },
            { label: "a policy that allows plain NFS", resources: [efsPolicy(false)], message: /TLS/ },
        ],
        holds: [
            {
                label: "encrypted, confined, TLS-only",
                resources: [
                    fileSystem,
                    res("aws:efs/accessPoint:AccessPoint", "ap", { posixUser: { uid: 1, gid: 1 }, rootDirectory: { path: "/data", creationInfo: { ownerUid: 1, ownerGid: 1, permissions: "0755" } } }),
                    efsPolicy(true),
                ],
            },
        ],
    },
    "efs-private-mount-targets-tls-policy": {
        fires: [
            { label: "a file system without a policy", resources: [fileSystem], message: /no file-system policy/ },
            {
                label: "a mount target in a public subnet",
                resources: [fileSystem, efsPolicy(true), subnet("public", true), res("aws:efs/mountTarget:MountTarget", "mt", { subnetId: "subnet-p" }, { fileSystemId: ["fs"], subnetId: ["public"] })],
                message: /public subnet/,
            },
            {
                label: "a mount target in the load balancer's subnet",
                resources: [fileSystem, efsPolicy(true), subnet("edge", false), { ...alb(), propertyDependencies: { subnets: ["edge"] } }, res("aws:efs/mountTarget:MountTarget", "mt", { subnetId: "subnet-e" }, { subnetId: ["edge"] })],
                message: /public subnet/,
            },
        ],
        holds: [{ label: "policy and private mount targets", resources: [fileSystem, efsPolicy(true), subnet("private", false), res("aws:efs/mountTarget:MountTarget", "mt", { subnetId: "subnet-q" }, { subnetId: ["private"] })] }],
    },
    "secrets-customer-key": {
        fires: [
            { label: "no key", resources: [res("aws:secretsmanager/secret:Secret", "s", {})], message: /kmsKeyId is not set/ },
            { label: "the AWS-managed key", resources: [res("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: "alias/aws/secretsmanager" })], message: /AWS-managed/ },
        ],
        holds: [{ label: "a customer key", resources: [res("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: KEY })] }],
    },
    "iam-least-privilege": {
        fires: [
            { label: "every action", resources: [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyJson([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }]) })], message: /every action/ },
            { label: "a service wildcard", resources: [res("aws:iam/policy:Policy", "p", { policy: policyJson([{ Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::b"] }]) })], message: /s3:\*/ },
            { label: "every resource", resources: [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyJson([{ Sid: "Read", Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }]) })], message: /statement Read grants s3:GetObject on every resource/ },
            { label: "a role anyone may assume", resources: [res("aws:iam/role:Role", "r", { assumeRolePolicy: policyJson([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }]) })], message: /anyone/ },
            { label: "AdministratorAccess", resources: [res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })], message: /AdministratorAccess/ },
        ],
        holds: [
            {
                label: "scoped grants, and metrics that AWS cannot scope",
                resources: [
                    res("aws:iam/rolePolicy:RolePolicy", "p", {
                        policy: policyJson([
                            { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:aws:secretsmanager:eu-west-1:1:secret:s"] },
                            { Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "WSO2" } } },
                            { Effect: "Deny", Action: "*", Resource: "*" },
                        ]),
                    }),
                    res("aws:iam/role:Role", "r", { assumeRolePolicy: policyJson([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]) }),
                    res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }),
                ],
            },
        ],
    },
    "vpc-flow-logs-default-sg-closed": {
        fires: [
            { label: "a VPC without flow logs or default-group takeover", resources: [res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" })], message: /no flow logs/ },
            {
                label: "a default group with rules",
                resources: [
                    res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" }),
                    res("aws:ec2/flowLog:FlowLog", "fl", { vpcId: "vpc-1", trafficType: "ALL" }, { vpcId: ["vpc"] }),
                    res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "dsg", { vpcId: "vpc-1", egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }, { vpcId: ["vpc"] }),
                ],
                message: /has rules/,
            },
        ],
        holds: [
            {
                label: "flow logs and a closed default group",
                resources: [
                    res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" }),
                    res("aws:ec2/flowLog:FlowLog", "fl", { vpcId: "vpc-1", trafficType: "ALL" }, { vpcId: ["vpc"] }),
                    res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "dsg", { vpcId: "vpc-1" }, { vpcId: ["vpc"] }),
                ],
            },
        ],
    },
    "kms-customer-managed-keys": {
        fires: [
            { label: "a key that does not rotate", resources: [res("aws:kms/key:Key", "k", { enableKeyRotation: false, policy: policyJson([]) })], message: /rotate/ },
            { label: "a key policy open to everyone", resources: [res("aws:kms/key:Key", "k", { enableKeyRotation: true, policy: policyJson([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" }]) })], message: /wildcard principal/ },
            { label: "a log group under the AWS-owned key", resources: [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 7 })], message: /log group/ },
            { label: "a topic under the AWS-managed SNS key", resources: [res("aws:sns/topic:Topic", "t", { kmsMasterKeyId: "alias/aws/sns" })], message: /AWS-managed/ },
            { label: "Performance Insights under the AWS-managed key", resources: [database({ performanceInsightsKmsKeyId: undefined })], message: /Performance Insights/ },
            { label: "a file system under the AWS-managed key", resources: [res("aws:efs/fileSystem:FileSystem", "fs", { encrypted: true })], message: /file system/ },
            { label: "a root volume under the default EBS key", resources: [instance("i", { rootBlockDevice: { encrypted: true } })], message: /root volume/ },
            { label: "a data volume under the AWS-managed EBS alias", resources: [instance("i", { ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true, kmsKeyId: "alias/aws/ebs" }] })], message: /sdf uses the AWS-managed key/ },
            {
                label: "a launch template's volume under the default EBS key",
                resources: [template({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 20 } }] })],
                message: /launch template's volume \/dev\/xvda is not encrypted with a customer-managed KMS key/,
            },
        ],
        holds: [
            {
                label: "everything under a rotating customer key",
                resources: [
                    res("aws:kms/key:Key", "k", { enableKeyRotation: true, policy: policyJson([{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:Describe*", Resource: "*" }]) }),
                    res("aws:cloudwatch/logGroup:LogGroup", "lg", { kmsKeyId: KEY }),
                    res("aws:sns/topic:Topic", "t", { kmsMasterKeyId: KEY }),
                    database(),
                    fileSystem,
                    instance("i"),
                    template(),
                ],
            },
        ],
    },
    "asg-launch-template-elb-health-zones": {
        fires: [
            { label: "a group launched from a launch configuration", resources: group({ launchTemplate: undefined, launchConfiguration: "lc" }), message: /launch configuration, not a launch template/ },
            { label: "EC2 health checks behind a load balancer", resources: group({ healthCheckType: "EC2" }), message: /healthCheckType is "EC2", expected "ELB"/ },
            { label: "no health check type behind a load balancer", resources: group({ healthCheckType: undefined }), message: /expected "ELB"/ },
            { label: "two subnets of one zone", resources: group({}, ["eu-west-1a", "eu-west-1a"]), message: /spans 1 zone\(s\), expected at least two/ },
            { label: "one subnet outside the stack", resources: [res("aws:autoscaling/group:Group", "asg", { ...group()[3].inputs, vpcZoneIdentifiers: ["subnet-x"] })], message: /spans 1 zone/ },
            { label: "no tags (CKV_AWS_153)", resources: group({ tags: [] }), message: /no tags/ },
        ],
        holds: [
            { label: "the gateways' group", resources: group() },
            { label: "EC2 health checks for a group no load balancer sends traffic", resources: group({ healthCheckType: "EC2", targetGroupArns: [] }) },
            { label: "two subnets outside the stack", resources: [res("aws:autoscaling/group:Group", "asg", { ...group()[3].inputs, vpcZoneIdentifiers: ["subnet-x", "subnet-y"] })] },
        ],
    },
};

const violationsOf = (policy: string, c: Case) => evaluatePolicies(c.resources, c.stack ?? "prod").filter((v) => v.policy === policy);

test("every policy of the pack has cases, each mandatory-level policy names its rule ids and rows, and the rows cover the checklist", () => {
    expect(Object.keys(CASES).sort()).toEqual(CHECKLIST.map((p) => p.name).sort());
    for (const p of CHECKLIST) {
        expect(p.ruleIds.length).toBeGreaterThan(0);
        expect(p.rows.length).toBeGreaterThan(0);
    }
    expect([...new Set(CHECKLIST.flatMap((p) => p.rows))].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
});

describe.each(CHECKLIST.map((p) => p.name))("%s", (policy) => {
    test.each(CASES[policy].fires.map((c) => [c.label, c] as const))("fires on %s", (_label, c) => {
        const violations = violationsOf(policy, c);
        expect(violations.length).toBeGreaterThan(0);
        if (c.message) expect(violations.map((v) => v.message).join("\n")).toMatch(c.message);
    });
    test.each(CASES[policy].holds.map((c) => [c.label, c] as const))("holds for %s", (_label, c) => {
        expect(violationsOf(policy, c)).toEqual([]);
    });
});

describe("preview behaviour and helpers", () => {
    /** The engine's placeholder for a string not known before the update. */
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

    test("an unknown key ARN reads as unknown, other unknown values throw the engine's error", () => {
        const props = unknownCheckingProxy({ kmsKeyId: UNKNOWN, policy: UNKNOWN, name: "x" });
        expect(readProperty(props, "kmsKeyId")).toEqual({ known: false });
        expect(readProperty(props, "name")).toEqual({ known: true, value: "x" });
        expect(() => statementsOf(props.policy)).toThrow(UnknownValueError);
    });

    test("a stack is development by its environment tag, or else by its name", () => {
        const urn = "urn:pulumi:sandbox-7::p::aws:ec2/vpc:Vpc::v";
        expect(isDevelopment(urn, new Map(), ["dev"])).toBe(false);
        expect(isDevelopment(urn, new Map(), ["sandbox-7"])).toBe(true);
        expect(isDevelopment(urn, new Map([["environment", "dev"]]), ["dev"])).toBe(true);
        expect(isDevelopment("urn:pulumi:dev::p::t::n", new Map([["environment", "production"]]), ["dev"])).toBe(false);
    });

    test("the pack config names the development environments", () => {
        const c: Case = { label: "", stack: "staging", resources: [alb({ accessLogs: undefined })] };
        expect(evaluatePolicies(c.resources, "staging").some((v) => v.policy === "alb-access-logs-deletion-protection")).toBe(true);
        expect(evaluatePolicies(c.resources, "staging", { developmentEnvironments: ["staging"] })).toEqual([]);
    });

    test("user data is read from plain text, gzip'd base64 and a launch template's base64", () => {
        expect(userDataText("aws:ec2/instance:Instance", { userData: "plain" })).toBe("plain");
        expect(userDataText("aws:ec2/instance:Instance", { userDataBase64: gzipBase64("zipped") })).toBe("zipped");
        expect(userDataText("aws:ec2/launchTemplate:LaunchTemplate", { userData: Buffer.from("template").toString("base64") })).toBe("template");
    });
});

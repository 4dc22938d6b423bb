import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi mocks for running the whole program in-process with no cloud, CLI or network: used by
 * `npm run render` and by the tests. Every generated secret resolves to a value starting with
 * OFFLINE_SECRET_PREFIX, so anyone can grep rendered files for leaks.
 */
export const OFFLINE_SECRET_PREFIX = "offline-secret-";
export const OFFLINE_REGION = "eu-west-1";
export const OFFLINE_ACCOUNT = "123456789012";

export interface RecordedResource {
    readonly type: string;
    /** The id the mock gave a custom resource (what other resources' inputs refer to); undefined for components. */
    readonly id?: string;
    readonly name: string;
    /** Name of the parent resource; null for the stack's direct children. */
    readonly parent: string | null;
    readonly inputs: Record<string, any>;
    readonly outputs: Record<string, any>;
    /**
     * Names of the resources this one waits for: its dependsOn and the resources its inputs came from, as
     * the SDK sends them to the engine (a component named there stands for every resource inside it).
     */
    readonly dependsOn: readonly string[];
    /** For each input, the names of the resources its value came from (what a policy pack sees as propertyDependencies). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    readonly custom: boolean;
    /** Pulumi's protect option (inherited from the parent when not set). */
    readonly protect: boolean;
    /** Pulumi's ignoreChanges option: inputs whose later changes the engine ignores (a looked-up AMI, a scaled desired capacity). */
    readonly ignoreChanges?: readonly string[];
}

export interface OfflineRun {
    readonly resources: RecordedResource[];
    /** Invoke tokens the mocks do not know; a test asserts this stays empty. */
    readonly unknownCalls: string[];
}

/** Values the mock gives the outputs of each resource type, beyond echoing its inputs. */
const COMPUTED: Record<string, (name: string, inputs: Record<string, any>) => Record<string, unknown>> = {
    "random:index/randomPassword:RandomPassword": (name) => ({ result: `${OFFLINE_SECRET_PREFIX}${name}` }),
    "random:index/randomId:RandomId": (name) => ({ hex: `${OFFLINE_SECRET_PREFIX}${name}`, b64Std: `${OFFLINE_SECRET_PREFIX}${name}` }),
    // Not secret (the program uses it for names): a stand-in of the requested length and alphabet.
    "random:index/randomString:RandomString": (name, inputs) => ({ result: hex(name).slice(0, inputs.length ?? 8) }),
    "tls:index/privateKey:PrivateKey": (name) => ({
        privateKeyPem: `${OFFLINE_SECRET_PREFIX}${name}`,
        privateKeyPemPkcs8: `${OFFLINE_SECRET_PREFIX}${name}`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${name}\n-----END PUBLIC KEY-----\n`,
    }),
    "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ certPem: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n` }),
    "aws:ec2/vpc:Vpc": (name, inputs) => ({ defaultSecurityGroupId: `sg-default-${name}`, cidrBlock: inputs.cidrBlock }),
    "aws:ec2/subnet:Subnet": (_name, inputs) => ({ availabilityZone: inputs.availabilityZone }),
    "aws:rds/instance:Instance": (name) => ({
        address: `${name}.abcdefghijkl.${OFFLINE_REGION}.rds.amazonaws.com`,
        endpoint: `${name}.abcdefghijkl.${OFFLINE_REGION}.rds.amazonaws.com:3306`,
        port: 3306,
    }),
    "aws:efs/fileSystem:FileSystem": (name) => ({ dnsName: `fs-${hex(name)}.efs.${OFFLINE_REGION}.amazonaws.com` }),
    "aws:lb/loadBalancer:LoadBalancer": (name) => ({
        dnsName: `${name}-1234567890.${OFFLINE_REGION}.elb.amazonaws.com`,
        zoneId: "Z32O12XQLNTSW2",
        arnSuffix: `app/${name}/${hex(name)}`,
    }),
    // CloudWatch names load balancers and target groups by the ends of their ARNs.
    "aws:lb/targetGroup:TargetGroup": (name) => ({ arnSuffix: `targetgroup/${name}/${hex(name)}` }),
    "aws:ec2/instance:Instance": (name) => ({ privateIp: `10.40.${parseInt(hex(name).slice(0, 2), 16)}.10`, instanceState: "running" }),
    "aws:route53/zone:Zone": (name) => ({ zoneId: `Z${hex(name).toUpperCase()}` }),
    // DNS validation: one CNAME per name, as ACM returns them (imported certificates get none).
    "aws:acm/certificate:Certificate": (_name, inputs) => ({
        domainValidationOptions:
            inputs.validationMethod === "DNS"
                ? [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map((domainName: string) => ({
                      domainName,
                      resourceRecordName: `_${hex(domainName)}.${domainName}.`,
                      resourceRecordType: "CNAME",
                      resourceRecordValue: `_${hex(domainName)}.offline.acm-validations.aws.`,
                  }))
                : [],
    }),
    // The provider auto-names these; the RDS instance refers to them by name.
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:iam/role:Role": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:iam/instanceProfile:InstanceProfile": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:s3/bucket:Bucket": (name, inputs) => {
        const bucket = inputs.bucket ?? `${name}-${hex(name).slice(0, 8)}`;
        return { bucket, arn: `arn:aws:s3:::${bucket}` };
    },
    "aws:route53/record:Record": (_name, inputs) => ({ fqdn: String(inputs.name ?? "").replace(/\.$/, "") }),
    // A new template's first version; the Auto Scaling group names it.
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1, defaultVersion: 1 }),
    // The provider auto-names these; alarms, the health gate and the scaling policy refer to them by name.
    "aws:autoscaling/group:Group": (name, inputs) => ({ name: inputs.name ?? name }),
    "aws:autoscaling/policy:Policy": (name, inputs) => ({ name: inputs.name ?? name }),
    "command:local:Command": () => ({ stdout: "", stderr: "" }),
};

/** Stable id-like suffix so offline renders are reproducible. */
function hex(name: string): string {
    let h = 0x811c9dc5;
    for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, "0") + "0000000000".slice(0, 9);
}

/** Ids in the shape AWS gives them, since templates and tests read them (fs-…, fsap-…, subnet-…). */
function mockId(type: string, name: string): string {
    const prefixes: Record<string, string> = {
        "aws:ec2/vpc:Vpc": "vpc-",
        "aws:ec2/subnet:Subnet": "subnet-",
        "aws:ec2/securityGroup:SecurityGroup": "sg-",
        "aws:ec2/instance:Instance": "i-",
        "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
        "aws:efs/fileSystem:FileSystem": "fs-",
        "aws:efs/accessPoint:AccessPoint": "fsap-",
        "aws:kms/key:Key": "",
    };
    return type in prefixes ? `${prefixes[type]}${hex(name)}` : `${name}-id`;
}

function arnFor(type: string, name: string): string {
    const [, module] = type.split(":");
    const service = module.split("/")[0];
    return `arn:aws:${service}:${OFFLINE_REGION}:${OFFLINE_ACCOUNT}:${name}`;
}

function callResult(token: string, inputs: Record<string, any>): Record<string, any> | undefined {
    switch (token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["a", "b", "c", "d"].map((z) => `${OFFLINE_REGION}${z}`), zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3", "euw1-az4"], id: OFFLINE_REGION };
        case "aws:index/getRegion:getRegion":
            return { name: OFFLINE_REGION, region: OFFLINE_REGION, id: OFFLINE_REGION };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: OFFLINE_ACCOUNT, arn: `arn:aws:iam::${OFFLINE_ACCOUNT}:user/offline`, userId: "offline", id: OFFLINE_ACCOUNT };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:ec2/getAmi:getAmi":
            return { id: "ami-0offline0000000000", imageId: "ami-0offline0000000000", architecture: "x86_64", name: "al2023-ami-2023.offline-x86_64" };
        case "aws:route53/getZone:getZone":
            return { zoneId: "ZPUBLICOFFLINE", name: inputs.name, id: "ZPUBLICOFFLINE" };
        case "aws:ec2/getSubnet:getSubnet": {
            // Offline, a subnet id ending in a letter a-d sits in that zone; anything else in zone a.
            const zone = /([a-d])$/.exec(String(inputs.id ?? ""))?.[1] ?? "a";
            return { id: inputs.id, availabilityZone: `${OFFLINE_REGION}${zone}`, vpcId: "vpc-offline" };
        }
        case "aws:iam/getPolicyDocument:getPolicyDocument":
            return { json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }), id: "policy" };
        case "aws:elb/getServiceAccount:getServiceAccount":
            return { arn: "arn:aws:iam::156460612806:root", id: "156460612806" };
        case "aws:ec2/getInstanceType:getInstanceType": {
            const known = INSTANCE_TYPES[String(inputs.instanceType)];
            if (!known) throw unknownInstanceType(String(inputs.instanceType));
            return { id: inputs.instanceType, instanceType: inputs.instanceType, defaultVcpus: known.vcpus, memorySize: known.memoryMib, supportedArchitectures: known.architectures };
        }
        case "aws:ec2/getVpc:getVpc":
            return { id: inputs.id ?? "vpc-offline", cidrBlock: "10.60.0.0/16", enableDnsSupport: true, enableDnsHostnames: true };
        default:
            return undefined;
    }
}

/**
 * EC2's answer for the instance types the stacks and tests use, and common sizes around them
 * (DescribeInstanceTypes: default vCPUs, memory in MiB, architectures).
 */
const INSTANCE_TYPES: Readonly<Record<string, { vcpus: number; memoryMib: number; architectures: string[] }>> = (() => {
    const table: Record<string, { vcpus: number; memoryMib: number; architectures: string[] }> = {};
    const family = (names: string[], architectures: string[], sizes: [string, number, number][]) => {
        for (const name of names) for (const [size, vcpus, memoryMib] of sizes) table[`${name}.${size}`] = { vcpus, memoryMib, architectures };
    };
    const general: [string, number, number][] = [["large", 2, 8192], ["xlarge", 4, 16384], ["2xlarge", 8, 32768], ["4xlarge", 16, 65536]];
    family(["m6i", "m7i"], ["x86_64"], general);
    family(["m6g", "m7g"], ["arm64"], general);
    family(["r6i"], ["x86_64"], [["large", 2, 16384], ["xlarge", 4, 32768], ["2xlarge", 8, 65536]]);
    family(["c6i"], ["x86_64"], [["large", 2, 4096], ["xlarge", 4, 8192], ["2xlarge", 8, 16384]]);
    const burstable: [string, number, number][] = [["small", 2, 2048], ["medium", 2, 4096], ["large", 2, 8192], ["xlarge", 4, 16384], ["2xlarge", 8, 32768]];
    family(["t3"], ["x86_64"], burstable);
    family(["t4g"], ["arm64"], burstable);
    table["mac2.metal"] = { vcpus: 8, memoryMib: 16384, architectures: ["arm64_mac"] };
    return table;
})();

/** An invoke failure shaped like the engine's (the SDK reads `details`), with EC2's error code for an unknown type. */
function unknownInstanceType(instanceType: string): Error {
    const message = `invoking aws:ec2/getInstanceType:getInstanceType: api error InvalidInstanceType: The following supplied instance types do not exist: [${instanceType}]`;
    return Object.assign(new Error(message), { details: message });
}

/** URN → resource name: the part after the last "::". */
function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Installs the mocks and records every registration (with its parent and dependencies) in order.
 * Call before the program's modules create resources.
 */
export function installOfflineMocks(
    project = "wso2-apim-ha",
    stack = "dev",
    options: {
        readonly preview?: boolean;
        /** What the stack's reference to itself reads as its last deployment's outputs (none: a first deployment). */
        readonly previousStackOutputs?: Record<string, unknown>;
    } = {},
): OfflineRun {
    const run: OfflineRun = { resources: [], unknownCalls: [] };
    const pending = new Map<
        string,
        { parent: string | null; dependsOn: string[]; protect: boolean; ignoreChanges: string[]; propertyDependencies: Record<string, string[]> }
    >();
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                const inputs = args.inputs ?? {};
                const id = args.custom === false ? undefined : mockId(args.type, args.name);
                const state = {
                    ...inputs,
                    ...(args.custom !== false && args.type.startsWith("aws:") ? { arn: inputs.arn ?? arnFor(args.type, args.name) } : {}),
                    ...(COMPUTED[args.type]?.(args.name, inputs) ?? {}),
                    ...(args.type === "pulumi:pulumi:StackReference" ? { outputs: options.previousStackOutputs ?? {} } : {}),
                };
                const key = `${args.type}::${args.name}`;
                const meta = pending.get(key) ?? { parent: null, dependsOn: [], protect: false, ignoreChanges: [], propertyDependencies: {} };
                run.resources.push({ type: args.type, name: args.name, id, inputs, outputs: state, custom: args.custom !== false, ...meta });
                return { id, state };
            },
            call(args) {
                const result = callResult(args.token, args.inputs ?? {});
                if (result === undefined) {
                    // Throwing here kills the jest worker with an empty message: record instead.
                    run.unknownCalls.push(args.token);
                    return {};
                }
                return result;
            },
        },
        project,
        stack,
        options.preview ?? false,
        // what self-managed backends call every organization
        "organization",
    );
    // The mock monitor passes neither parents, dependencies nor options to newResource; read them off the
    // request, where the SDK has already resolved every input's resources (through outputs and components).
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const parentUrn: string = req.getParent();
        const deps = new Set<string>(req.getDependenciesList().map(urnName));
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((value: any, key: string) => {
            propertyDependencies[key] = value.getUrnsList().map(urnName);
        });
        pending.set(`${req.getType()}::${req.getName()}`, {
            parent: parentUrn ? urnName(parentUrn) : null,
            dependsOn: [...deps],
            protect: req.getProtect() ?? false,
            ignoreChanges: req.getIgnorechangesList(),
            propertyDependencies,
        });
        return register(req, callback);
    };
    return run;
}

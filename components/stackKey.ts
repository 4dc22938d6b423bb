import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { checkLogGroupNamePatterns, stackKeyPolicy } from "../lib/aws/stackKeyPolicy";

export interface StackKeyArgs {
    /**
     * Names of the log groups CloudWatch Logs may encrypt with the key, `*` matching any characters
     * (e.g. `/wso2-apim-ha/dev/*`). At least one; a bare `*` is refused. Log groups outside these
     * patterns cannot use the key.
     */
    readonly logGroupNamePatterns: readonly string[];
    /** True when the stack's alarm topic is encrypted with the key (CloudWatch alarms may then publish to it). Default false. */
    readonly alarmTopic?: boolean;
}

/**
 * The stack's one customer-managed KMS key, rotated yearly by AWS: the secret, the file system, the
 * database (storage and Performance Insights), the nodes' root volumes, every log group and the alarm topic are encrypted with it. Its policy
 * (lib/aws/stackKeyPolicy.ts) lets this account administer it and use it only through those services.
 */
export class StackKey extends pulumi.ComponentResource {
    readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: StackKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        try {
            checkLogGroupNamePatterns(args.logGroupNamePatterns);
        } catch (e) {
            throw new Error(`StackKey: logGroupNamePatterns: ${(e as Error).message}`);
        }
        super("wso2-apim-ha:stackKey:StackKey", name, {}, opts);
        const parent = { parent: this };

        const identity = aws.getCallerIdentityOutput({}, parent);
        const partition = aws.getPartitionOutput({}, parent);
        const region = aws.getRegionOutput({}, parent);
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the data of WSO2 API-M stack ${pulumi.getProject()}/${pulumi.getStack()}: secret, file system, database, volumes, logs, alarms`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi
                    .all([identity.accountId, partition.partition, region.region])
                    .apply(([accountId, part, reg]) =>
                        JSON.stringify(
                            stackKeyPolicy({ accountId, partition: part, region: reg, logGroupNamePatterns: args.logGroupNamePatterns, alarmTopic: args.alarmTopic }),
                        ),
                    ),
            },
            parent,
        );
        new aws.kms.Alias(`${name}-alias`, { namePrefix: `alias/${pulumi.getProject()}-${pulumi.getStack()}-`, targetKeyId: key.arn }, parent);

        this.keyArn = key.arn;
        this.registerOutputs({ keyArn: this.keyArn });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { bootArtifactsBucketPolicy } from "../lib/aws/bootArtifactsBucketPolicy";
import { BOOT_OBJECT_PREFIX, BootScriptArtifact } from "../lib/node/bootScript";

export interface BootArtifactsArgs {
    /** The boot script (lib/node/bootScript.ts): stored at its content-addressed key. */
    readonly bootScript: BootScriptArtifact;
    /** The stack key: the bucket's default encryption and the object's. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Days an overwritten or deleted object's old version is kept. Default 30. */
    readonly noncurrentVersionDays?: number;
}

/**
 * What the nodes fetch at boot rather than receive in user data: a private bucket (public access blocked,
 * bucket-owner-enforced, TLS only, versioned, under the stack key with a bucket key) holding the boot script
 * at boot/<sha256>/wso2am-bootstrap. A new script is a new object; the old one goes at the end of the update.
 */
export class BootArtifacts extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** The key prefix the nodes may read under. */
    readonly readablePrefix = BOOT_OBJECT_PREFIX;
    /** Where the boot script is: from the object itself, so a node waits for it through its user data. */
    readonly bootScript: { readonly bucket: pulumi.Output<string>; readonly key: pulumi.Output<string>; readonly sha256: string };
    /** What a node's first read needs beyond the object: the TLS-only policy, in place before anyone reads. */
    readonly readyForNodes: readonly pulumi.Resource[];

    constructor(name: string, args: BootArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:bootArtifacts:BootArtifacts", name, {}, opts);
        const opt = { parent: this };

        // Auto-named; forceDestroy because every object is rebuilt from the repository (and old versions
        // would otherwise keep `pulumi destroy` from deleting the bucket).
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: true }, opt);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: bucket.bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            opt,
        );
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, opt);
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } }, opt);
        // A bucket key: S3 asks KMS for a data key per bucket now and then, not per object read.
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucket.bucket,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }],
            },
            opt,
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.bucket,
                rules: [
                    {
                        id: "expire-replaced-artifacts",
                        status: "Enabled",
                        filter: { prefix: "" },
                        noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 30 },
                        expiration: { expiredObjectDeleteMarker: true },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            // S3 refuses a lifecycle rule on noncurrent versions while versioning is still being enabled.
            { ...opt, dependsOn: [versioning] },
        );
        const policy = new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket: bucket.bucket, policy: bucket.arn.apply((arn) => JSON.stringify(bootArtifactsBucketPolicy(arn))) },
            // S3 rejects a policy change while the public access block is still being applied.
            { ...opt, dependsOn: [publicAccess] },
        );

        const script = new aws.s3.BucketObjectv2(
            `${name}-script`,
            {
                bucket: bucket.bucket,
                key: args.bootScript.key,
                content: args.bootScript.content,
                contentType: "text/x-shellscript",
                // Named on the object too, so it is under the stack key even if written before the bucket default.
                serverSideEncryption: "aws:kms",
                kmsKeyId: args.kmsKeyArn,
                bucketKeyEnabled: true,
            },
            { ...opt, dependsOn: [encryption, versioning] },
        );

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.bootScript = { bucket: script.bucket, key: script.key, sha256: args.bootScript.sha256 };
        this.readyForNodes = [policy];
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, bootScriptKey: script.key });
    }
}

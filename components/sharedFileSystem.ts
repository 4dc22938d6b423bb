import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { fileSystemPolicy } from "../lib/aws/fileSystemPolicy";

export interface SharedFileSystemArgs {
    /** Private subnets, one per zone: one mount target each. */
    readonly subnetIds: pulumi.Input<string>[];
    /** The file-system security group (NFS from the nodes only). */
    readonly securityGroupId: pulumi.Input<string>;
    /** POSIX owner the access point enforces and creates its root with (plan.runAs; the same on every node). */
    readonly runAs: { readonly uid: number; readonly gid: number };
    /** The stack key (components/stackKey.ts) the file system is encrypted with. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Pulumi `protect` on the file system, so a `pulumi destroy` cannot drop the shared artifacts. */
    readonly deletionProtection: boolean;
}

/** Elastic throughput: no burst credits to run out of (the alarms read this). */
export const THROUGHPUT_MODE = "elastic";

/** Root of the access point inside the file system, mounted at repository/deployment/server. */
export const ACCESS_POINT_ROOT = "/deployment-server";

/**
 * The EFS share behind repository/deployment/server (seed step 5): encrypted with the stack key, backed up, TLS-only,
 * reached through one access point that pins the owner both nodes run as.
 */
export class SharedFileSystem extends pulumi.ComponentResource {
    readonly fileSystemId: pulumi.Output<string>;
    readonly fileSystemArn: pulumi.Output<string>;
    /** Resolves once every mount target and the file-system policy exist. */
    readonly accessPointId: pulumi.Output<string>;
    readonly accessPointArn: pulumi.Output<string>;

    constructor(name: string, args: SharedFileSystemArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.subnetIds.length < 2) throw new Error(`SharedFileSystem: expected subnets in at least two zones, got ${args.subnetIds.length}`);
        super("wso2-apim-ha:sharedFileSystem:SharedFileSystem", name, {}, opts);
        const parent = { parent: this };

        const fileSystem = new aws.efs.FileSystem(
            `${name}-fs`,
            {
                encrypted: true,
                // Changing the key replaces the file system (an EFS limit).
                kmsKeyId: args.kmsKeyArn,
                performanceMode: "generalPurpose",
                throughputMode: THROUGHPUT_MODE,
                // Two policies: each lifecycle entry may hold one transition only.
                lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }, { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" }],
            },
            { parent: this, protect: args.deletionProtection },
        );
        new aws.efs.BackupPolicy(`${name}-backup`, { fileSystemId: fileSystem.id, backupPolicy: { status: "ENABLED" } }, parent);

        const mountTargets = args.subnetIds.map(
            (subnetId, i) =>
                new aws.efs.MountTarget(`${name}-mount-${i + 1}`, { fileSystemId: fileSystem.id, subnetId, securityGroups: [args.securityGroupId] }, parent),
        );

        const accessPoint = new aws.efs.AccessPoint(
            `${name}-access-point`,
            {
                fileSystemId: fileSystem.id,
                posixUser: { uid: args.runAs.uid, gid: args.runAs.gid },
                rootDirectory: {
                    path: ACCESS_POINT_ROOT,
                    creationInfo: { ownerUid: args.runAs.uid, ownerGid: args.runAs.gid, permissions: "0755" },
                },
            },
            parent,
        );

        const identity = aws.getCallerIdentityOutput({}, parent);
        const partition = aws.getPartitionOutput({}, parent);
        const policy = new aws.efs.FileSystemPolicy(
            `${name}-policy`,
            {
                fileSystemId: fileSystem.id,
                policy: pulumi
                    .all([fileSystem.arn, accessPoint.arn, identity.accountId, partition.partition])
                    .apply(([fileSystemArn, accessPointArn, accountId, part]) =>
                        JSON.stringify(fileSystemPolicy({ fileSystemArn, accessPointArn, accountId, partition: part })),
                    ),
            },
            parent,
        );

        this.fileSystemId = fileSystem.id;
        this.fileSystemArn = fileSystem.arn;
        // Whatever mounts through the access point (the nodes' user data) thereby waits for every mount
        // target and for the TLS-only policy, so no node boots into a zone without a mount target.
        this.accessPointId = pulumi.all([accessPoint.id, policy.id, ...mountTargets.map((m) => m.id)]).apply(([id]) => id);
        this.accessPointArn = accessPoint.arn;
        this.registerOutputs({
            fileSystemId: this.fileSystemId,
            fileSystemArn: this.fileSystemArn,
            accessPointId: this.accessPointId,
            accessPointArn: this.accessPointArn,
        });
    }
}

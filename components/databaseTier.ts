import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as aws from "../lib/aws/services";
import { StackConfig } from "../lib/config/stackConfig";
import { PORTS } from "../lib/plan/ports";
import {
    EXPORTED_DATABASE_LOGS,
    databaseIdentifier,
    databaseLogGroupName,
    databaseParameters,
    finalSnapshotIdentifier,
    parameterGroupFamily,
    restoreCopyIdentifier,
} from "../lib/plan/databaseParameters";
import { engineLifecycleSupport } from "../lib/plan/databaseEngine";
import { PERFORMANCE_INSIGHTS_RETENTION_DAYS, performanceInsightsSupported } from "../lib/plan/performanceInsights";

export interface DatabaseTierArgs {
    /** Private subnets in at least two zones (the DB subnet group). */
    readonly subnetIds: pulumi.Input<string>[];
    /** The database security group (MySQL from the nodes only). */
    readonly securityGroupId: pulumi.Input<string>;
    /**
     * Instance class, engine version (8.4 / 8.0, optionally with a minor), Extended Support, whether a major
     * upgrade may run, storage, Multi-AZ, backup days, and optionally the snapshot to create the instance from
     * (copied first with the stack key, so the stack owns the key of what it restores).
     */
    readonly database: StackConfig["database"];
    /**
     * RDS deletion protection and Pulumi `protect`; when false (dev) the instance is deleted without a
     * final snapshot, when true a final snapshot is kept if it is ever deleted.
     */
    readonly deletionProtection: boolean;
    /** Master account, used only by the boot script to create WSO2's schemas and user. */
    readonly masterUsername: string;
    readonly masterPassword: pulumi.Input<string>;
    /** WSO2AM_DB (RDS creates one database; the node boot script creates WSO2SHARED_DB). */
    readonly initialDatabaseName: string;
    /** MySQL max_connections, from lib/plan/databaseParameters.ts maxConnectionsFor(). */
    readonly maxConnections: number;
    /** Private zone that receives the CNAME. */
    readonly privateZoneId: pulumi.Input<string>;
    /** Stable private name (db.<zone>) the nodes use; a CNAME to the RDS address, TTL 30 s so a replaced instance's address reaches the nodes quickly. */
    readonly hostName: string;
    /** Retention of the exported error and slow-query log groups. */
    readonly logRetentionDays: number;
    /**
     * The stack key (components/stackKey.ts): storage, Performance Insights and the exported log groups
     * are encrypted with it. Changing it replaces the instance (an RDS limit).
     */
    readonly kmsKeyArn: pulumi.Input<string>;
}

/**
 * RDS MySQL for WSO2 (TLS required, encrypted with the stack key, private) and its stable private DNS name.
 * Performance Insights is on wherever the instance class offers it (not on the micro and small burstable classes).
 */
export class DatabaseTier extends pulumi.ComponentResource {
    /** RDS endpoint address; nodes use the stable hostName instead. */
    readonly address: pulumi.Output<string>;
    readonly instanceArn: pulumi.Output<string>;
    /** RDS instance identifier (fixed per stack, see databaseIdentifier). */
    readonly identifier: pulumi.Output<string>;

    constructor(name: string, args: DatabaseTierArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.subnetIds.length < 2) throw new Error(`DatabaseTier: RDS needs subnets in at least two zones, got ${args.subnetIds.length}`);
        if (args.maxConnections < 1) throw new Error(`DatabaseTier: maxConnections must be positive, got ${args.maxConnections}`);
        super("wso2-apim-ha:databaseTier:DatabaseTier", name, {}, opts);
        const parent = { parent: this };
        const db = args.database;

        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            { subnetIds: args.subnetIds, description: "Private subnets of the WSO2 API-M database" },
            parent,
        );
        const parameterGroup = new aws.rds.ParameterGroup(
            `${name}-parameters`,
            {
                family: parameterGroupFamily(db.engineVersion),
                description: "WSO2 API-M: connection budget, TLS required, utf8mb4 case-sensitive collation",
                parameters: databaseParameters(args.maxConnections),
            },
            parent,
        );

        const identifier = databaseIdentifier(pulumi.getProject(), pulumi.getStack(), name);
        // A snapshot brings its schemas and master user; RDS ignores a database name then, and the
        // provider applies the master password after the restore.
        const restoring = db.snapshotIdentifier !== undefined;
        // A restored instance keeps its snapshot's key, and a kmsKeyId other than the stack key would
        // replace it on the next update: restore from a copy under the stack key instead, which also stops
        // the stack depending on the source stack's key (scheduled for deletion when that stack goes).
        const restoreSource = restoring
            ? new aws.rds.SnapshotCopy(
                  `${name}-restore-source`,
                  {
                      sourceDbSnapshotIdentifier: db.snapshotIdentifier,
                      targetDbSnapshotIdentifier: restoreCopyIdentifier(identifier),
                      kmsKeyId: args.kmsKeyArn,
                      copyTags: true,
                  },
                  parent,
              )
            : undefined;
        // Drawn anew only when the instance would be replaced, so each database gets its own final snapshot name.
        const finalSnapshotSuffix = args.deletionProtection
            ? new random.RandomString(
                  `${name}-final-snapshot-suffix`,
                  {
                      length: 8,
                      special: false,
                      upper: false,
                      keepers: { identifier, kmsKeyArn: args.kmsKeyArn, snapshot: db.snapshotIdentifier ?? "" },
                  },
                  parent,
              )
            : undefined;
        // Created before the instance so RDS writes into groups that expire, not ones it creates without retention.
        const logGroups = EXPORTED_DATABASE_LOGS.map(
            (log) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-log-${log}`,
                    { name: databaseLogGroupName(identifier, log), retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
                    parent,
                ),
        );

        const instance = new aws.rds.Instance(
            `${name}-instance`,
            {
                identifier,
                engine: "mysql",
                engineVersion: db.engineVersion,
                engineLifecycleSupport: engineLifecycleSupport(db.extendedSupport),
                allowMajorVersionUpgrade: db.allowMajorVersionUpgrade,
                instanceClass: db.instanceClass,
                port: PORTS.mysql,
                storageType: "gp3",
                allocatedStorage: db.allocatedStorageGb,
                maxAllocatedStorage: db.maxAllocatedStorageGb,
                storageEncrypted: true,
                kmsKeyId: args.kmsKeyArn,
                ...(performanceInsightsSupported(db.instanceClass)
                    ? {
                          performanceInsightsEnabled: true,
                          performanceInsightsKmsKeyId: args.kmsKeyArn,
                          performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
                      }
                    : { performanceInsightsEnabled: false }),
                publiclyAccessible: false,
                dbSubnetGroupName: subnetGroup.name,
                vpcSecurityGroupIds: [args.securityGroupId],
                parameterGroupName: parameterGroup.name,
                multiAz: db.multiAz,
                backupRetentionPeriod: db.backupRetentionDays,
                deletionProtection: args.deletionProtection,
                skipFinalSnapshot: !args.deletionProtection,
                finalSnapshotIdentifier: finalSnapshotSuffix?.result.apply((suffix) => finalSnapshotIdentifier(identifier, suffix)),
                autoMinorVersionUpgrade: true,
                copyTagsToSnapshot: true,
                enabledCloudwatchLogsExports: [...EXPORTED_DATABASE_LOGS],
                snapshotIdentifier: restoreSource?.targetDbSnapshotIdentifier,
                dbName: restoring ? undefined : args.initialDatabaseName,
                // A plain master password, not manageMasterUserPassword: its rotation would break the boot script.
                username: restoring ? undefined : args.masterUsername,
                password: pulumi.secret(args.masterPassword),
                caCertIdentifier: "rds-ca-rsa2048-g1",
                // Changes wait for the maintenance window instead of restarting a serving database; a major
                // upgrade the stack asked for runs now (its new parameter group must be in use before the old
                // one is deleted, at the end of the same update).
                applyImmediately: db.allowMajorVersionUpgrade,
            },
            {
                parent: this,
                dependsOn: logGroups,
                protect: args.deletionProtection,
                // The identifier is fixed, so a replacement cannot be created next to the old instance.
                deleteBeforeReplace: true,
                // RDS sets it only when it creates or restores an instance: a change would replace the database.
                ignoreChanges: ["engineLifecycleSupport"],
            },
        );

        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: args.privateZoneId, name: args.hostName, type: "CNAME", ttl: 30, records: [instance.address] },
            parent,
        );

        this.address = instance.address;
        this.instanceArn = instance.arn;
        this.identifier = instance.identifier;
        this.registerOutputs({ address: this.address, instanceArn: this.instanceArn, identifier: this.identifier });
    }
}

import { installOfflineMocks, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import {
    DB_POOL_MAX_ACTIVE,
    MIN_MAX_CONNECTIONS,
    databaseIdentifier,
    finalSnapshotIdentifier,
    maxConnectionsFor,
    parameterGroupFamily,
    restoreCopyIdentifier,
} from "../../lib/plan/databaseParameters";
import { APIM_DB_NAME, planCluster } from "../../lib/plan/clusterPlan";
import { PORTS } from "../../lib/plan/ports";
import { performanceInsightsSupported } from "../../lib/plan/performanceInsights";
import { isProtected, one, ofType, plain, plainSecretPaths, resolve, settle, tree, wasSecret } from "../support/componentRun";
import { sampleConfig } from "../support/sampleConfig";
import type { DatabaseTier as DatabaseTierClass } from "../../components/databaseTier";

const T = {
    instance: "aws:rds/instance:Instance",
    parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    record: "aws:route53/record:Record",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    snapshotCopy: "aws:rds/snapshotCopy:SnapshotCopy",
    randomString: "random:index/randomString:RandomString",
};
const SHARED_SNAPSHOT = "arn:aws:rds:eu-west-1:210987654321:snapshot:prod-2026-01-31-0930";
const SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"];
const SG = "sg-0database000000000";
const MASTER_PASSWORD = "offline-secret-db-master";
const STACK_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-stack-key";

interface Deployed {
    tier: DatabaseTierClass;
    resources: RecordedResource[];
    address: string;
    maxConnections: number;
    hostName: string;
}

let run: OfflineRun;
const deployed: Record<string, Deployed> = {};

async function deploy(name: string, overrides: Record<string, unknown>): Promise<void> {
    const { DatabaseTier } = require("../../components/databaseTier") as { DatabaseTier: typeof DatabaseTierClass };
    const config = sampleConfig(overrides);
    const plan = planCluster(config);
    const maxConnections = maxConnectionsFor(config.nodes.count);
    const tier = new DatabaseTier(name, {
        subnetIds: SUBNETS,
        securityGroupId: SG,
        database: config.database,
        deletionProtection: config.deletionProtection,
        masterUsername: plan.database.masterUsername,
        masterPassword: MASTER_PASSWORD,
        initialDatabaseName: plan.database.apimDbName,
        maxConnections,
        privateZoneId: "ZPRIVATE",
        hostName: plan.database.hostName,
        logRetentionDays: config.logRetentionDays,
        kmsKeyArn: STACK_KEY_ARN,
    });
    const address = await resolve(tier.address);
    await settle();
    deployed[name] = { tier, resources: tree(run, name), address, maxConnections, hostName: plan.database.hostName };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("prod", { nodeCount: 2, deletionProtection: true, dbMultiAz: true, dbBackupRetentionDays: 14, dbEngineVersion: "8.0.39", dbExtendedSupport: true });
    await deploy("dev", { deletionProtection: false, dbMultiAz: false, dbBackupRetentionDays: 1, dbEngineVersion: "8.4", logRetentionDays: 7 });
    await deploy("tiny", { deletionProtection: false, dbInstanceClass: "db.t4g.small" });
    await deploy("restored", { deletionProtection: true, dbSnapshotIdentifier: SHARED_SNAPSHOT });
    await deploy("upgrading", { deletionProtection: true, dbEngineVersion: "8.4", dbAllowMajorVersionUpgrade: true });
});

const instance = (name: string) => one(deployed[name].resources, T.instance);

describe.each(["prod", "dev"])("database tier (%s)", (name) => {
    const d = () => deployed[name];

    test("storage is encrypted gp3 with autoscaling, and the instance is not public", () => {
        expect(instance(name).inputs).toMatchObject({
            engine: "mysql",
            storageEncrypted: true,
            publiclyAccessible: false,
            storageType: "gp3",
            allocatedStorage: 50,
            maxAllocatedStorage: 200,
            port: PORTS.mysql,
        });
    });

    test("storage, Performance Insights and the exported log groups are encrypted with the stack key", () => {
        expect(instance(name).inputs).toMatchObject({
            kmsKeyId: STACK_KEY_ARN,
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: STACK_KEY_ARN,
            performanceInsightsRetentionPeriod: 7,
        });
        for (const g of ofType(d().resources, T.logGroup)) expect(g.inputs.kmsKeyId).toBe(STACK_KEY_ARN);
    });

    test("lives in the given private subnets behind the database security group", () => {
        const subnetGroup = one(d().resources, T.subnetGroup);
        expect(subnetGroup.inputs.subnetIds).toEqual(SUBNETS);
        expect(instance(name).inputs.dbSubnetGroupName).toBe(subnetGroup.outputs.name);
        expect(instance(name).inputs.vpcSecurityGroupIds).toEqual([SG]);
    });

    test("the parameter group requires TLS, sets a case-sensitive utf8mb4 collation and the connection budget", () => {
        const group = one(d().resources, T.parameterGroup);
        expect(instance(name).inputs.parameterGroupName).toBe(group.outputs.name);
        const params = Object.fromEntries((group.inputs.parameters as { name: string; value: string }[]).map((p) => [p.name, p.value]));
        expect(params).toMatchObject({ require_secure_transport: "1", character_set_server: "utf8mb4", collation_server: "utf8mb4_bin" });
        expect(Number(params.max_connections)).toBe(d().maxConnections);
        expect(Number(params.max_connections)).toBeGreaterThanOrEqual(MIN_MAX_CONNECTIONS);
    });

    test("patches itself, keeps tags on snapshots, exports error and slow-query logs, trusts the RSA 2048 CA", () => {
        expect(instance(name).inputs).toMatchObject({
            autoMinorVersionUpgrade: true,
            copyTagsToSnapshot: true,
            enabledCloudwatchLogsExports: ["error", "slowquery"],
            caCertIdentifier: "rds-ca-rsa2048-g1",
            applyImmediately: false,
        });
    });

    test("exported logs land in log groups with the stack's retention, created before the instance", () => {
        const identifier = instance(name).inputs.identifier;
        const groups = ofType(d().resources, T.logGroup);
        expect(groups.map((g) => g.inputs.name).sort()).toEqual([`/aws/rds/instance/${identifier}/error`, `/aws/rds/instance/${identifier}/slowquery`]);
        for (const g of groups) expect(g.inputs.retentionInDays).toBe(name === "prod" ? 30 : 7);
        for (const g of groups) expect(instance(name).dependsOn).toContain(g.name);
    });

    test("creates WSO2AM_DB with a plain master password that is kept secret (no managed rotation)", () => {
        const inputs = instance(name).inputs;
        expect(inputs.dbName).toBe(APIM_DB_NAME);
        expect(inputs.username).toBe("wso2admin");
        expect(inputs.manageMasterUserPassword).toBeUndefined();
        expect(wasSecret(inputs.password)).toBe(true);
        expect(plain(inputs.password)).toBe(MASTER_PASSWORD);
    });

    test("db.<zone> is a 30-second CNAME to the RDS address", () => {
        const record = one(d().resources, T.record);
        expect(record.inputs).toMatchObject({ zoneId: "ZPRIVATE", name: d().hostName, type: "CNAME", ttl: 30, records: [d().address] });
        expect(d().address).toMatch(/\.rds\.amazonaws\.com$/);
    });

    test("no resource carries the master password in the clear", () => {
        for (const r of d().resources) {
            expect({ name: r.name, leaks: [...plainSecretPaths(r.inputs), ...plainSecretPaths(r.outputs)] }).toEqual({ name: r.name, leaks: [] });
        }
    });
});

test("Multi-AZ, backups and deletion protection follow the arguments", () => {
    expect(instance("prod").inputs).toMatchObject({ multiAz: true, backupRetentionPeriod: 14, deletionProtection: true, skipFinalSnapshot: false });
    expect(instance("prod").inputs.finalSnapshotIdentifier).toMatch(/^[a-z][a-z0-9-]*-final-[a-z0-9]{8}$/);
    expect(instance("dev").inputs).toMatchObject({ multiAz: false, backupRetentionPeriod: 1, deletionProtection: false, skipFinalSnapshot: true });
    expect(instance("dev").inputs.finalSnapshotIdentifier).toBeUndefined();
});

test("Performance Insights stays off on instance classes that do not offer it, the storage is still under the stack key", () => {
    const tiny = instance("tiny").inputs;
    expect(tiny).toMatchObject({ instanceClass: "db.t4g.small", kmsKeyId: STACK_KEY_ARN, performanceInsightsEnabled: false });
    expect(tiny.performanceInsightsKmsKeyId).toBeUndefined();
    for (const cls of ["db.t3.micro", "db.t4g.micro", "db.t3.small"]) expect(performanceInsightsSupported(cls)).toBe(false);
    for (const cls of ["db.t4g.medium", "db.t3.large", "db.r6g.large", "db.m7g.xlarge"]) expect(performanceInsightsSupported(cls)).toBe(true);
});

test("a protected stack's database is also Pulumi-protected", () => {
    expect(isProtected(deployed.prod.tier, "prod-instance")).toBe(true);
    expect(isProtected(deployed.dev.tier, "dev-instance")).toBe(false);
});

test("a final snapshot's name carries a suffix drawn for this database: a later database of the same identifier gets its own", () => {
    const suffix = one(deployed.prod.resources, T.randomString);
    expect(suffix.inputs).toMatchObject({ length: 8, special: false, upper: false });
    // drawn anew exactly when the instance would be replaced: another identifier, key or source snapshot
    expect(suffix.inputs.keepers).toEqual({ identifier: instance("prod").inputs.identifier, kmsKeyArn: STACK_KEY_ARN, snapshot: "" });
    expect(instance("prod").inputs.finalSnapshotIdentifier).toBe(`${instance("prod").inputs.identifier}-final-${suffix.outputs.result}`);
    expect(ofType(deployed.dev.resources, T.randomString)).toEqual([]);
});

test("a new database stays out of paid Extended Support unless the stack opts in (8.0 needs it)", () => {
    for (const name of ["dev", "tiny", "restored", "upgrading"]) {
        expect(instance(name).inputs.engineLifecycleSupport).toBe("open-source-rds-extended-support-disabled");
    }
    expect(instance("prod").inputs).toMatchObject({ engineVersion: "8.0.39", engineLifecycleSupport: "open-source-rds-extended-support" });
});

test("a major version upgrade runs only when the stack allows it, and then at once", () => {
    expect(instance("upgrading").inputs).toMatchObject({ allowMajorVersionUpgrade: true, applyImmediately: true });
    for (const name of ["prod", "dev"]) expect(instance(name).inputs).toMatchObject({ allowMajorVersionUpgrade: false, applyImmediately: false });
});

test("a restore starts from the stack's own copy of the snapshot, under the stack key, so later updates keep the database", () => {
    const copy = one(deployed.restored.resources, T.snapshotCopy);
    const identifier = instance("restored").inputs.identifier;
    expect(copy.inputs).toMatchObject({
        sourceDbSnapshotIdentifier: SHARED_SNAPSHOT,
        targetDbSnapshotIdentifier: restoreCopyIdentifier(identifier),
        kmsKeyId: STACK_KEY_ARN,
        copyTags: true,
    });
    // The instance's key is the stack key the copy has, so the provider sees no key change after the restore.
    expect(instance("restored").inputs).toMatchObject({ snapshotIdentifier: restoreCopyIdentifier(identifier), kmsKeyId: STACK_KEY_ARN });
    expect(instance("restored").dependsOn).toContain(copy.name);
    expect(instance("restored").inputs.dbName).toBeUndefined();
    for (const name of ["prod", "dev"]) expect(ofType(deployed[name].resources, T.snapshotCopy)).toEqual([]);
});

test("the parameter group family follows the engine version", () => {
    expect(one(deployed.prod.resources, T.parameterGroup).inputs.family).toBe("mysql8.0");
    expect(one(deployed.dev.resources, T.parameterGroup).inputs.family).toBe("mysql8.4");
    expect(parameterGroupFamily("8.4.3")).toBe("mysql8.4");
    expect(() => parameterGroupFamily("5.7")).toThrow(/unsupported/);
});

describe("connection budget", () => {
    test("at least WSO2's 250 for a pair, and room for every node to fill both pools", () => {
        expect(maxConnectionsFor(2)).toBeGreaterThanOrEqual(250);
        for (const n of [2, 3, 4, 8]) {
            expect(maxConnectionsFor(n)).toBeGreaterThan(n * (DB_POOL_MAX_ACTIVE.apim + DB_POOL_MAX_ACTIVE.shared));
        }
    });

    test("grows with the number of nodes and with the pools", () => {
        expect(maxConnectionsFor(4)).toBeGreaterThan(maxConnectionsFor(2));
        expect(maxConnectionsFor(8)).toBeGreaterThan(maxConnectionsFor(4));
        expect(maxConnectionsFor(4, { apim: 200, shared: 100 })).toBeGreaterThan(maxConnectionsFor(4));
    });

    test("refuses a nonsensical node count", () => {
        expect(() => maxConnectionsFor(0)).toThrow();
    });
});

test("instance and snapshot identifiers are valid RDS identifiers whatever the stack is called", () => {
    const valid = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;
    for (const [project, stack, name] of [
        ["wso2-apim-ha", "dev", "database"],
        ["WSO2_APIM", "Prod.EU--1", "db"],
        ["9lives", "x".repeat(80), "database-"],
    ]) {
        const id = databaseIdentifier(project, stack, name);
        expect(id).toMatch(valid);
        expect(finalSnapshotIdentifier(id, "a1b2c3d4")).toMatch(/^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$/);
        expect(restoreCopyIdentifier(id)).toMatch(/^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$/);
    }
    expect(databaseIdentifier("p", "dev", "db")).not.toBe(databaseIdentifier("p", "prod", "db"));
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});

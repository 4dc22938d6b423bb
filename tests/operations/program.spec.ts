import { renderStack, RenderResult } from "../../scripts/render";
import { ProgramModel, T, tempRenderDir } from "../program/programModel";
import { plainSecretPaths, wasSecret } from "../support/componentRun";

/**
 * A throwaway copy of prod: the dev stack with alarms off, its database created from a snapshot of prod,
 * and (to keep to one render) the load balancer told to drop headers it considers invalid.
 */
const SNAPSHOT = "wso2-apim-ha-prod-copy-2026-01-31";
let result: RenderResult;
let model: ProgramModel;

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    result = await renderStack("dev", { outDir: tempRenderDir("copy"), configOverrides: { alarmsEnabled: false, dbSnapshotIdentifier: SNAPSHOT, loadBalancerDropInvalidHeaders: true } });
    model = new ProgramModel(result.resources);
});

afterAll(() => jest.restoreAllMocks());

describe("a stack with alarmsEnabled false", () => {
    it("creates no topic, alarm, dashboard or saved query, and exports neither their topic nor their URL", () => {
        for (const type of [
            "wso2-apim-ha:operations:Operations",
            "aws:sns/topic:Topic",
            "aws:sns/topicSubscription:TopicSubscription",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:cloudwatch/dashboard:Dashboard",
            "aws:cloudwatch/queryDefinition:QueryDefinition",
        ]) {
            expect([type, model.ofType(type).length]).toEqual([type, 0]);
        }
        expect(Object.keys(result.outputs)).not.toContain("alarmTopicArn");
        expect(Object.keys(result.outputs)).not.toContain("dashboardUrl");
        // The rest of the stack is all there.
        expect(model.instances()).toHaveLength(2);
    });
});

describe("a stack restored from a database snapshot", () => {
    const rds = () => result.resources.find((r) => r.type === T.rds)!;

    it("creates the database from the stack's own copy of the snapshot, under the stack key, without a database name or master user of its own", () => {
        const copy = result.resources.find((r) => r.type === "aws:rds/snapshotCopy:SnapshotCopy")!;
        const stackKey = result.resources.find((r) => r.type === "aws:kms/key:Key")!;
        expect(copy.inputs).toMatchObject({ sourceDbSnapshotIdentifier: SNAPSHOT, kmsKeyId: stackKey.outputs.arn });
        expect(rds().inputs.snapshotIdentifier).toBe(copy.inputs.targetDbSnapshotIdentifier);
        expect(rds().inputs.kmsKeyId).toBe(stackKey.outputs.arn);
        expect(rds().inputs.dbName).toBeUndefined();
        expect(rds().inputs.username).toBeUndefined();
    });

    it("still sets the stack's own master password on it, kept secret", () => {
        expect(wasSecret(rds().inputs.password)).toBe(true);
        expect(plainSecretPaths(rds().inputs)).toEqual([]);
    });

    it("keeps everything else the stack asks of its database", () => {
        expect(rds().inputs).toMatchObject({ storageEncrypted: true, publiclyAccessible: false, parameterGroupName: expect.any(String), engine: "mysql" });
    });
});

describe("a stack that asks the load balancer to drop invalid headers", () => {
    it("gets header dropping, and desync mitigation stays defensive", () => {
        expect(model.ofType(T.alb)[0].inputs).toMatchObject({ dropInvalidHeaderFields: true, desyncMitigationMode: "defensive" });
    });
});

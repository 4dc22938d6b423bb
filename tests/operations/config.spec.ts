import { parseStackConfig, StackConfigError } from "../../lib/config/stackConfig";
import { readStackFile } from "../../lib/config/stackFile";
import { sampleConfig } from "../support/sampleConfig";

function problems(overrides: Record<string, unknown>): { key: string; message: string }[] {
    try {
        sampleConfig(overrides);
    } catch (err) {
        expect(err).toBeInstanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
    throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe("operating configuration", () => {
    it("turns alarms on by default, with nobody subscribed, and creates an empty database", () => {
        const config = sampleConfig();
        expect(config.alarms).toEqual({ enabled: true, email: undefined });
        expect(config.database.snapshotIdentifier).toBeUndefined();
    });

    it("keeps alarms on in both shipped stacks", () => {
        for (const stack of ["dev", "prod"]) expect(parseStackConfig(readStackFile(stack).projectConfig).alarms.enabled).toBe(true);
    });

    it("reads an alarm email, alarms off, and a snapshot as the CLI passes them", () => {
        expect(sampleConfig({ alarmEmail: " oncall@example.com " }).alarms).toEqual({ enabled: true, email: "oncall@example.com" });
        expect(sampleConfig({ alarmsEnabled: "false" }).alarms.enabled).toBe(false);
        for (const id of [
            "wso2-apim-ha-prod-copy-2026-01-31",
            "rds:wso2-apim-ha-prod-wso2-db-2026-01-31-03-10",
            "arn:aws:rds:eu-west-1:123456789012:snapshot:wso2-apim-ha-prod-copy",
        ]) {
            expect(sampleConfig({ dbSnapshotIdentifier: id }).database.snapshotIdentifier).toBe(id);
        }
    });

    it.each([
        [{ alarmEmail: "oncall" }, "alarmEmail", /email address/],
        [{ alarmEmail: "on call@example.com" }, "alarmEmail", /email address/],
        [{ alarmsEnabled: false, alarmEmail: "oncall@example.com" }, "alarmEmail", /only used with alarmsEnabled true/],
        [{ alarmsEnabled: "maybe" }, "alarmsEnabled", /expected a boolean/],
        [{ dbSnapshotIdentifier: "1st-copy" }, "dbSnapshotIdentifier", /RDS snapshot identifier/],
        [{ dbSnapshotIdentifier: "prod--copy" }, "dbSnapshotIdentifier", /RDS snapshot identifier/],
        [{ dbSnapshotIdentifier: "prod-copy-" }, "dbSnapshotIdentifier", /RDS snapshot identifier/],
        [{ dbSnapshotIdentifier: "prod copy" }, "dbSnapshotIdentifier", /RDS snapshot identifier/],
        [{ dbSnapshotIdentifier: "arn:aws:rds:eu-west-1:123:snapshot:x" }, "dbSnapshotIdentifier", /RDS snapshot identifier/],
    ])("rejects %j naming %s", (overrides, key, message) => {
        const found = problems(overrides);
        expect(found.map((p) => p.key)).toEqual([key]);
        expect(found[0].message).toMatch(message);
    });
});

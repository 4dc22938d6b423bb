import { DATABASE_ENGINE_OUTPUT, databaseEngineChange } from "../../lib/config/databaseEngineChange";

const deployed = (v: string) => ({ [DATABASE_ENGINE_OUTPUT]: v });

test("no change, a minor change, or a first deployment: nothing to say", () => {
    expect(databaseEngineChange(undefined, { engineVersion: "8.4", allowMajorVersionUpgrade: false })).toEqual({});
    expect(databaseEngineChange({}, { engineVersion: "8.4", allowMajorVersionUpgrade: false })).toEqual({});
    expect(databaseEngineChange(deployed("8.4"), { engineVersion: "8.4.7", allowMajorVersionUpgrade: false })).toEqual({});
});

test("a major upgrade the stack has not allowed: preview warns and up refuses, naming both ways out", () => {
    const change = databaseEngineChange(deployed("8.0.39"), { engineVersion: "8.4", allowMajorVersionUpgrade: false });
    expect(change.refusal).toBe(change.warning);
    expect(change.refusal).toMatch(/from MySQL 8\.0 \(deployed\) to 8\.4, a major upgrade/);
    expect(change.refusal).toContain("dbAllowMajorVersionUpgrade true");
    expect(change.refusal).toContain("Take a snapshot first");
    expect(change.refusal).toContain("set dbEngineVersion 8.0");
});

test("an allowed major upgrade is announced, not refused", () => {
    const change = databaseEngineChange(deployed("8.0"), { engineVersion: "8.4", allowMajorVersionUpgrade: true });
    expect(change.refusal).toBeUndefined();
    expect(change.warning).toMatch(/upgrades the database from MySQL 8\.0 \(deployed\) to 8\.4 during this update/);
});

test("a downgrade is refused even when upgrades are allowed: RDS has none", () => {
    const change = databaseEngineChange(deployed("8.4.3"), { engineVersion: "8.0", allowMajorVersionUpgrade: true });
    expect(change.refusal).toMatch(/goes back from MySQL 8\.4 \(deployed\) to 8\.0: RDS has no major version downgrade/);
});

test("the allow switch left on after an upgrade gets a reminder", () => {
    expect(databaseEngineChange(deployed("8.4"), { engineVersion: "8.4", allowMajorVersionUpgrade: true }).warning).toMatch(/Set it back to false/);
});

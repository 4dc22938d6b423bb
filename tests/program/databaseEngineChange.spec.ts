/**
 * A stack whose database last ran MySQL 8.0, deployed with this program's 8.4 default: `pulumi up` stops
 * before it touches anything unless the stack allows the major upgrade, and then upgrades in place (no
 * replacement) at once. The message a preview prints is checked in tests/config/databaseEngineChange.
 */
import type { OfflineRun } from "../../lib/offline/offlineMocks";
import { sampleConfig } from "../support/sampleConfig";

let run: OfflineRun;
let buildStack: typeof import("../../program").buildStack;
const warnings: string[] = [];

beforeAll(() => {
    jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.join(" ")));
    run = require("../../lib/offline/offlineMocks").installOfflineMocks("wso2-apim-ha", "prod", {
        preview: false,
        previousStackOutputs: { apimVersion: "4.7.0", databaseEngineVersion: "8.0" },
    });
    buildStack = require("../../program").buildStack;
});

afterAll(() => jest.restoreAllMocks());

it("refuses to deploy a major upgrade the stack has not allowed, before creating anything", async () => {
    await expect(buildStack(sampleConfig({ dbEngineVersion: "8.4" }))).rejects.toThrow(
        /^Refusing to deploy: dbEngineVersion moves the database from MySQL 8\.0 \(deployed\) to 8\.4, a major upgrade.*dbAllowMajorVersionUpgrade true/,
    );
    // only the read of the stack's own last outputs
    expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
});

it("with dbAllowMajorVersionUpgrade, upgrades the same instance at once and records the new version", async () => {
    const { resolve, settle } = require("../support/componentRun");
    const stack = await buildStack(sampleConfig({ dbEngineVersion: "8.4", dbAllowMajorVersionUpgrade: true }));
    expect(await resolve(stack.databaseEngineVersion)).toBe("8.4");
    await settle();
    const db = run.resources.find((r) => r.type === "aws:rds/instance:Instance")!;
    expect(db.inputs).toMatchObject({ engineVersion: "8.4", allowMajorVersionUpgrade: true, applyImmediately: true });
    const group = run.resources.find((r) => r.type === "aws:rds/parameterGroup:ParameterGroup")!;
    expect(group.inputs.family).toBe("mysql8.4");
    expect(warnings.filter((w) => w.includes("upgrades the database from MySQL 8.0 (deployed) to 8.4"))).toHaveLength(1);
});

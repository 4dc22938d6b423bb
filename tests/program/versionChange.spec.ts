/**
 * The program reads its own stack's last outputs through a stack reference: a preview against a stack
 * deployed with another API-M version warns, and every deployment records the version it runs.
 */
import { sampleConfig } from "../support/sampleConfig";

const warnings: string[] = [];
let outputs: Record<string, unknown>;
let references: string[];

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.join(" ")));
    const { installOfflineMocks } = require("../../lib/offline/offlineMocks");
    const run = installOfflineMocks("wso2-apim-ha", "dev", { preview: true, previousStackOutputs: { apimVersion: "4.6.0", databaseEngineVersion: "8.0.39", portalUrl: "https://api.example.com" } });
    const { buildStack } = require("../../program");
    const { resolve, settle } = require("../support/componentRun");
    const stack = await buildStack(sampleConfig({ apimVersion: "4.7.0" }));
    outputs = { apimVersion: await resolve(stack.apimVersion), databaseEngineVersion: await resolve(stack.databaseEngineVersion) };
    await settle();
    references = run.resources.filter((r: { type: string }) => r.type === "pulumi:pulumi:StackReference").map((r: { name: string }) => r.name);
});

afterAll(() => jest.restoreAllMocks());

test("a stack deployed with 4.6.0 and configured for 4.7.0 warns once, naming both versions", () => {
    expect(references).toEqual(["organization/wso2-apim-ha/dev"]);
    const versionWarnings = warnings.filter((w) => w.includes("apimVersion changes"));
    expect(versionWarnings).toHaveLength(1);
    expect(versionWarnings[0]).toContain("from 4.6.0 (deployed) to 4.7.0");
});

test("the stack outputs record the API-M version for the next preview", () => {
    expect(outputs.apimVersion).toBe("4.7.0");
});

test("a preview of a stack whose database ran 8.0, now configured for 8.4, warns that up will refuse the major upgrade", () => {
    const engineWarnings = warnings.filter((w) => w.includes("dbEngineVersion moves the database"));
    expect(engineWarnings).toHaveLength(1);
    expect(engineWarnings[0]).toContain("from MySQL 8.0 (deployed) to 8.4, a major upgrade");
    expect(outputs.databaseEngineVersion).toBe("8.4");
});

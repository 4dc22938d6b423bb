/**
 * `pulumi up` (not a preview) with the sample stacks' placeholder checksums stops before creating
 * anything, instead of building the stack and waiting an hour for nodes that refuse their downloads.
 */
import type { OfflineRun } from "../../lib/offline/offlineMocks";
import { sampleConfig } from "../support/sampleConfig";

let run: OfflineRun;
let buildStack: typeof import("../../program").buildStack;

beforeAll(() => {
    // Mocks first, as a deployment (not a preview); then the program's modules.
    run = require("../../lib/offline/offlineMocks").installOfflineMocks("wso2-apim-ha", "dev", { preview: false });
    buildStack = require("../../program").buildStack;
});

it("refuses to deploy placeholder checksums, naming the keys, and creates nothing", async () => {
    const zeros = "0".repeat(64);
    // The configuration warnings come first, as `pulumi up` prints them; kept off the test output.
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
        await expect(buildStack(sampleConfig({ distributionSha256: zeros, mysqlConnectorSha256: zeros }))).rejects.toThrow(
            /^Refusing to deploy: distributionSha256 and mysqlConnectorSha256 still hold the sample stack's all-zero placeholder/,
        );
        await expect(buildStack(sampleConfig({ mysqlConnectorSha256: zeros }))).rejects.toThrow(/^Refusing to deploy: mysqlConnectorSha256 still holds/);
        const placeholderWarnings = warn.mock.calls.map((args) => args.join(" ")).filter((line) => line.includes("all-zero placeholder"));
        expect(placeholderWarnings).toEqual([
            expect.stringContaining("distributionSha256 is the sample stack's all-zero placeholder"),
            expect.stringContaining("mysqlConnectorSha256 is the sample stack's all-zero placeholder"),
            expect.stringContaining("mysqlConnectorSha256 is the sample stack's all-zero placeholder"),
        ]);
    } finally {
        warn.mockRestore();
    }
    expect(run.resources).toEqual([]);
});

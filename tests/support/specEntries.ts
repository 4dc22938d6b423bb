import * as path from "path";

/**
 * Which spec files (tests/<area>/<name>.spec.ts) each jest entry file (tests/<entry>.test.ts) runs.
 *
 * jest gives every test file a module registry of its own, so every file that loads the Pulumi SDK pays
 * for loading it again (about 1.5 s of CPU). An entry runs several specs in one registry: the SDK loads
 * once per entry, and specs that only read a sample stack's render share one (tests/support/sharedRender.ts).
 * Two entries, beside the boot script's two suites: four files for jest's two workers to share out, each
 * worker's pair about as long as the other's, and a spec that crashes its worker takes fewer others with it.
 */
export const SPEC_ENTRIES = {
    /**
     * The program under Pulumi's mocks: whole, mostly through `renderStack`, and one component at a time;
     * and the policy pack's own server, which is here to keep the two workers' shares even.
     */
    program: [
        "components/bootArtifacts",
        "components/clusterSecrets",
        "components/databaseTier",
        "components/gatewayFleet",
        "components/network",
        "components/securityGroups",
        "components/sharedFileSystem",
        "components/stackKey",
        "components/vpcEndpoints",
        "operations/operations",
        "operations/program",
        "policy/packServer",
        "program/databaseEngineChange",
        "program/deployGuard",
        "program/existingVpc",
        "program/gateways",
        "program/nodePair",
        "program/stacks",
        "program/traffic",
        "program/versionChange",
        "review/renderOutputs",
    ],
    /** Pure functions, scripts, documents and the policy pack's rules: nothing runs the program. */
    units: [
        "bootstrap/static",
        "config/apimVersionChange",
        "config/configFiles",
        "config/databaseEngineChange",
        "config/instanceTypeCheck",
        "config/stackConfig",
        "docs/configReference",
        "docs/links",
        "docs/readme",
        "docs/workflow",
        "operations/alarmTable",
        "operations/config",
        "operations/dashboard",
        "operations/logQueries",
        "policy/rules",
        "program/accessLogBucketPolicy",
        "program/nodeAmi",
        "program/nodeRolePolicy",
        "program/rollingGateScript",
        "render/bootContract",
        "render/deploymentToml",
        "render/gatewayDeploymentToml",
        "render/gatewayUserData",
        "render/keepAlive",
        "render/nodeUserData",
        "review/monthlyCost",
        "review/renderDiff",
        "review/renderDiffCli",
        "support/mysqlKeyWidth",
        "support/specEntries",
    ],
} as const;

export type EntryName = keyof typeof SPEC_ENTRIES;

export const TESTS_DIR = path.join(__dirname, "..");

export interface EntryOptions {
    /** Runs before each spec's own beforeAll hooks (e.g. to clear state the previous spec left in a shared SDK). */
    readonly beforeEachSpec?: () => Promise<void> | void;
}

/**
 * Registers every spec of an entry, each inside a describe block named by its path, so its top-level
 * beforeAll/afterAll hooks run around its own tests only, and `-t <area>/<name>` selects one spec.
 * A spec that throws while loading fails a test of its own instead of stopping the whole entry.
 */
export function runSpecs(entry: EntryName, options: EntryOptions = {}): void {
    for (const spec of SPEC_ENTRIES[entry]) {
        describe(spec, () => {
            if (options.beforeEachSpec) beforeAll(options.beforeEachSpec);
            let loadError: unknown;
            try {
                require(path.join(TESTS_DIR, `${spec}.spec`));
            } catch (err) {
                loadError = err;
            }
            if (loadError !== undefined) {
                test("loads", () => {
                    throw loadError;
                });
            }
        });
    }
}

/**
 * End to end on one node: the user data the program renders (env file, deployment.toml, unit, agent
 * configuration) is what the real boot script runs on, in the sandbox with stand-ins for AWS and the OS.
 */
import * as fs from "fs";
import * as path from "path";
import * as TOML from "@iarna/toml";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderNodeUserData } from "../../lib/node/nodeUserData";
import { writtenFiles } from "../../lib/node/userDataDecoding";
import { sampleConfig, sampleFacts } from "../support/sampleConfig";
import { requireTool } from "../support/validators";
import { APIM_HOME, Fixtures, buildFixtures, makeSandbox, runBootstrap, sha256, stepsStarted, tempDir, VERSION } from "./fixtures/sandbox";

const tools = ["openssl", "keytool", "jq", "unzip", "zip", "flock", "java"].every((t) => requireTool(t));
const suite = tools ? describe : describe.skip;

let fx: Fixtures;
let base: string;

beforeAll(() => {
    if (!tools) return;
    fx = buildFixtures();
    base = tempDir("wso2am-rendered-");
    // The renderer names the RDS bundle of the stack's region; the fixture server has one bundle.
    fs.copyFileSync(path.join(fx.served, "global-bundle.pem"), path.join(fx.served, `${sampleFacts.region}-bundle.pem`));
});
afterAll(() => {
    for (const d of [fx?.dir, base]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

suite("a node rendered by the program", () => {
    it("boots from its user data to a ready server", async () => {
        const config = sampleConfig({
            distributionUrl: `https://downloads.invalid/wso2am-${VERSION}.zip`,
            distributionSha256: sha256(path.join(fx.served, `wso2am-${VERSION}.zip`)),
            mysqlConnectorVersion: "9.1.0",
            mysqlConnectorSha256: sha256(path.join(fx.served, "mysql-connector-j-9.1.0.jar")),
        });
        const plan = planCluster(config);
        const { cloudConfig } = renderNodeUserData(config, plan, plan.nodes[1], sampleFacts);
        const files = writtenFiles(cloudConfig);

        // Lay the rendered files where cloud-init would write them, over the sandbox's own.
        const sb = makeSandbox(base, "rendered", fx);
        for (const file of files) {
            const target = path.join(sb.root, file.path);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, file.content, { mode: parseInt(file.permissions, 8) });
        }
        const r = await runBootstrap(sb, { WSO2AM_ENV_FILE: path.join(sb.root, plan.paths.nodeEnvFile) });

        expect(r.stderr).toContain("node apim-2 (apim-2.apim.internal, API-M 4.7.0) is ready");
        expect(r.code).toBe(0);
        expect(stepsStarted(r.stderr)).toEqual(["secrets", "packages", "distribution", "keystore", "vault", "share", "database", "start"]);
        // what the server reads: the rendered file, plus the encrypted values of every alias it references
        const installed = fs.readFileSync(path.join(sb.root, APIM_HOME, "repository/conf/deployment.toml"), "utf8");
        const rendered = files.find((f) => f.path === plan.paths.deploymentToml)!.content.toString();
        expect(installed.startsWith(rendered + "\n[secrets]\n")).toBe(true);
        const toml = TOML.parse(installed) as Record<string, any>;
        expect(Object.keys(toml.secrets).sort()).toEqual(["admin_password", "db_password", "encryption_key", "keystore_password", "truststore_password"]);
        expect(toml.apim.throttling.event_duplicate_url).toEqual(["tcp://apim-1.apim.internal:8672"]);
        expect(fs.readFileSync(path.join(sb.root, "etc/hosts"), "utf8")).toContain(`127.0.0.1 ${config.hostNames.portal}`);
        expect(fs.readFileSync(path.join(sb.root, "etc/fstab"), "utf8")).toContain(
            `${sampleFacts.fileSystemId} /mnt/wso2am-share efs _netdev,noresvport,tls,iam,accesspoint=${sampleFacts.accessPointId} 0 0`,
        );
    });
});

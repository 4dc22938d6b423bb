import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderNodeUserData, USER_DATA_LIMIT_BYTES } from "../../lib/node/nodeUserData";
import { decodeUserData, writtenFiles } from "../../lib/node/userDataDecoding";
import { sampleConfig, sampleFacts } from "../support/sampleConfig";
import { MAX_NODES } from "../../lib/config/stackConfig";
import { requireTool } from "../support/validators";
import { scratchDir } from "../support/scratchDir";

const execFileAsync = promisify(execFile);
// made when the spec loads, so removed with the test file's scratch folders even when -t runs none of its tests
const tmp = scratchDir("user-data");

/** Host names of exactly `length` characters, the longest the size test has to carry. */
function hostOfLength(prefix: string, length: number): string {
    const suffix = ".example.com";
    return prefix + "x".repeat(length - prefix.length - suffix.length) + suffix;
}

// The largest node count the config accepts: every node's file lists every other node.
const largest = sampleConfig({
    nodeCount: MAX_NODES,
    portalHostName: hostOfLength("api-", 60),
    gatewayHostName: hostOfLength("gw-", 60),
    privateZoneName: "wso2-api-manager.production.internal",
    analyticsEnabled: true,
    analyticsConfigEndpoint: "https://analytics-event-auth.choreo.dev/auth/v1",
    analyticsAuthToken: "offline-secret-config-analyticsAuthToken",
});

function renderEach(config = sampleConfig()) {
    const plan = planCluster(config);
    return plan.nodes.map((node) => ({ node, ...renderNodeUserData(config, plan, node, sampleFacts) }));
}

describe("node user data", () => {
    it("stays under EC2's 16 KB with margin for the most nodes allowed and 60-character host names", () => {
        for (const { node, userDataBase64 } of renderEach(largest)) {
            const bytes = Buffer.from(userDataBase64, "base64").length;
            // Margin: a fifth of the limit (over 3 KB) stays free for growth of the boot script; past
            // that, the script belongs in an artifact the node fetches, not in user data.
            expect([node.name, bytes]).toEqual([node.name, expect.any(Number)]);
            expect(bytes).toBeLessThan(USER_DATA_LIMIT_BYTES * 0.8);
        }
    });

    it("is gzip that decodes to the cloud-config it was rendered from", () => {
        for (const { userDataBase64, cloudConfig } of renderEach()) {
            const decoded = decodeUserData(userDataBase64);
            expect(decoded.bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
            expect(decoded.cloudConfig).toBe(cloudConfig);
            expect(cloudConfig.startsWith("#cloud-config\n")).toBe(true);
        }
    });

    it("is byte-for-byte stable, so an unchanged stack never replaces a node", () => {
        expect(renderEach().map((r) => r.userDataBase64)).toEqual(renderEach().map((r) => r.userDataBase64));
    });

    it("passes cloud-init's own schema validation", async () => {
        if (!requireTool("cloud-init")) return;
        const files = renderEach(largest).map(({ node, cloudConfig }) => {
            const file = path.join(tmp, `${node.name}.yaml`);
            fs.writeFileSync(file, cloudConfig);
            return file;
        });
        // The validator does reject a broken document, so the passes mean something.
        const broken = path.join(tmp, "broken.yaml");
        fs.writeFileSync(broken, "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 416\nruncmd: 5\n");
        // `cloud-init schema` takes one file per call: the calls run side by side.
        const schema = (file: string) => execFileAsync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
        const [brokenRun, ...runs] = await Promise.allSettled([broken, ...files].map(schema));
        expect(runs).toHaveLength(files.length);
        for (const run of runs) expect(run).toEqual({ status: "fulfilled", value: expect.objectContaining({ stdout: expect.stringMatching(/^Valid (cloud-config|schema)/) }) });
        expect(brokenRun.status).toBe("rejected");
    });

    it("writes the node's files with quoted octal modes and runs the boot script once", () => {
        const [{ cloudConfig }] = renderEach();
        const files = writtenFiles(cloudConfig);
        expect(files.map((f) => [f.path, f.permissions])).toEqual([
            ["/etc/wso2am/node.env", "0644"],
            ["/etc/wso2am/deployment.toml", "0644"],
            ["/usr/local/sbin/wso2am-bootstrap", "0755"],
            ["/etc/systemd/system/wso2am.service", "0644"],
            ["/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json", "0644"],
        ]);
        // A quoted octal string, not the integer YAML would make of 0644.
        expect(cloudConfig).toMatch(/permissions: "0644"/);
        const document = YAML.parse(cloudConfig);
        expect(document.runcmd).toEqual([["/usr/local/sbin/wso2am-bootstrap"]]);
        expect(document.mounts).toBeUndefined();
        // The files are the templates themselves, not copies with substitutions.
        const template = (name: string) => fs.readFileSync(path.join(__dirname, "..", "..", "config-templates", name), "utf8");
        expect(files[2].content.toString()).toBe(template("bootstrap.sh"));
        expect(files[3].content.toString()).toBe(template("wso2am.service"));
    });

    it("gives each node its own name and the cloud ids, in an env file bash reads back exactly", () => {
        for (const { node, cloudConfig } of renderEach(sampleConfig())) {
            const envFile = writtenFiles(cloudConfig).find((f) => f.path === "/etc/wso2am/node.env")!;
            const file = path.join(tmp, `${node.name}.env`);
            fs.writeFileSync(file, envFile.content);
            const out = execFileSync("bash", ["-c", 'set -a; . "$1"; printf "%s|%s|%s|%s|%s" "$NODE_NAME" "$NODE_HOST_NAME" "$EFS_ACCESS_POINT_ID" "$SECRET_ARN" "$DB_HOST"', "_", file]).toString();
            expect(out).toBe([node.name, node.hostName, sampleFacts.accessPointId, sampleFacts.secretArn, "db.apim.internal"].join("|"));
        }
    });

    it("carries no secret: passwords reach a node only from Secrets Manager at boot", () => {
        for (const { cloudConfig } of renderEach(largest)) {
            expect(cloudConfig).not.toContain("offline-secret-");
            expect(cloudConfig).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
        }
    });

    it("ships boot scripts that shellcheck accepts", () => {
        if (!requireTool("shellcheck")) return;
        const dir = path.join(__dirname, "..", "..", "config-templates");
        const scripts = fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).map((f) => path.join(dir, f));
        expect(scripts.length).toBeGreaterThan(0);
        execFileSync("shellcheck", ["--severity=style", ...scripts], { stdio: "pipe" });
    });
});

describe("node log shipping", () => {
    it("sends each node's boot log and server logs to the stack's log group, one stream per node and instance", () => {
        for (const { node, cloudConfig } of renderEach(sampleConfig())) {
            const file = writtenFiles(cloudConfig).find((f) => f.path.endsWith("amazon-cloudwatch-agent.json"))!;
            const agent = JSON.parse(file.content.toString());
            const collected = agent.logs.logs_collected.files.collect_list;
            expect(collected.map((c: any) => c.file_path)).toEqual(
                expect.arrayContaining(["/var/log/cloud-init-output.log", "/opt/wso2am/repository/logs/wso2carbon.log"]),
            );
            for (const c of collected) {
                expect(c.log_group_name).toBe(sampleFacts.logGroupName);
                expect(c.log_stream_name).toMatch(new RegExp(`^${node.name}/\\{instance_id\\}/`));
            }
        }
    });
});

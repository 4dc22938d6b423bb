import { execFile, execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as zlib from "zlib";
import * as YAML from "yaml";
import { planCluster } from "../../lib/plan/clusterPlan";
import { renderNodeUserData, USER_DATA_BUDGET_BYTES, USER_DATA_LIMIT_BYTES } from "../../lib/node/nodeUserData";
import { bootScriptArtifact } from "../../lib/node/bootScript";
import { parseNodeEnvFile } from "../../lib/node/nodeEnvironment";
import { decodeUserData, writtenFiles } from "../../lib/node/userDataDecoding";
import { deterministicGzip } from "../../lib/node/deterministicGzip";
import { largestConfigOverrides, sampleConfig, sampleFacts } from "../support/sampleConfig";
import { requireTool } from "../support/validators";
import { scratchDir } from "../support/scratchDir";

const execFileAsync = promisify(execFile);
// made when the spec loads, so removed with the test file's scratch folders even when -t runs none of its tests
const tmp = scratchDir("user-data");

// The largest node count the config accepts: every node's file lists every other node.
const largest = sampleConfig(largestConfigOverrides());

/** node:zlib's functions that compress, sync, async and streaming (zstd where this Node has it). */
const COMPRESSING = /^(?:(?:gzip|deflate|deflateRaw|brotliCompress|zstdCompress)(?:Sync)?|create(?:Gzip|Deflate|DeflateRaw|BrotliCompress|ZstdCompress))$/;

/** node:zlib with every function a pass-through that records its calls. */
function watchedZlib(): Record<string, jest.Mock> {
    // Descriptors, not assignment: some of zlib's exports are read-only.
    const descriptors = Object.getOwnPropertyDescriptors(jest.requireActual<object>("zlib"));
    for (const [name, descriptor] of Object.entries(descriptors)) {
        if (typeof descriptor.value === "function" && /^[a-z]/.test(name)) descriptors[name] = { ...descriptor, value: jest.fn(descriptor.value) };
    }
    return Object.defineProperties({}, descriptors);
}

/**
 * Text in the shape of a cloud-config with a run of pseudo-random bytes inside: several deflate blocks,
 * matches across the whole window and a stretch that does not compress. Built here, so template edits
 * leave the recorded digest alone.
 */
function fixedInput(): Buffer {
    const lines = ["#cloud-config", "write_files:"];
    for (let i = 0; i < 1200; i++) {
        lines.push(`  - path: /etc/wso2am/conf-${i % 97}.toml`, `    content: "key_${(i * 7919) % 10007} = ${(i * i) % 65521} → ü"`);
    }
    let state = 0x2545f491;
    const noise = Uint8Array.from({ length: 4096 }, () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return state & 0xff;
    });
    const text = Buffer.from(lines.join("\n") + "\n");
    return Buffer.concat([text.subarray(0, 30000), noise, text.subarray(30000)]);
}

const RECORDED = { length: 15949, sha256: "718e31368c3c055ecbef8025ff630a990af27addc727e0d5ffead8666369028c" };

function renderEach(config = sampleConfig(), facts = sampleFacts) {
    const plan = planCluster(config);
    return plan.nodes.map((node) => ({ node, ...renderNodeUserData(config, plan, node, facts) }));
}

/** The facts of a stack whose bucket has a name as long as S3 allows (63 characters). */
const longBucket = { ...sampleFacts, bootScript: { ...sampleFacts.bootScript, bucket: `wso2-boot-bucket-${"x".repeat(38)}-1234567` } };

describe("node user data", () => {
    it("stays within the project's 12 KB of EC2's 16 KB for the most nodes allowed, 60-character host names and the longest bucket name", () => {
        expect(longBucket.bootScript.bucket).toHaveLength(63);
        expect(USER_DATA_BUDGET_BYTES).toBe(12288);
        expect(USER_DATA_BUDGET_BYTES).toBeLessThan(USER_DATA_LIMIT_BYTES);
        for (const { node, userDataBase64 } of renderEach(largest, longBucket)) {
            const bytes = Buffer.from(userDataBase64, "base64").length;
            // The boot script is fetched, not carried: this holds however it grows.
            expect([node.name, bytes < USER_DATA_BUDGET_BYTES]).toEqual([node.name, true]);
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

    it("is compressed without node:zlib, whose bytes follow the machine and the Node version", () => {
        const watched = watchedZlib();
        let isolated!: { render: typeof renderNodeUserData; decode: typeof decodeUserData };
        // A registry of its own, so every module the render loads, from here or from a library, gets the watched zlib.
        jest.doMock("zlib", () => watched);
        jest.doMock("node:zlib", () => watched);
        try {
            jest.isolateModules(() => {
                isolated = { render: require("../../lib/node/nodeUserData").renderNodeUserData, decode: require("../../lib/node/userDataDecoding").decodeUserData };
            });
            const config = sampleConfig();
            const plan = planCluster(config);
            const rendered = plan.nodes.map((node) => isolated.render(config, plan, node, sampleFacts));
            const compressing = Object.getOwnPropertyNames(watched).filter((name) => COMPRESSING.test(name));
            expect(compressing).toEqual(expect.arrayContaining(["gzip", "gzipSync", "deflate", "deflateSync", "deflateRaw", "deflateRawSync", "createGzip"]));
            expect(compressing.filter((name) => watched[name].mock.calls.length > 0)).toEqual([]);
            // The watch does see the lib's zlib calls: decoding gunzips through it.
            expect(isolated.decode(rendered[0].userDataBase64).cloudConfig).toBe(rendered[0].cloudConfig);
            expect(watched.gunzipSync).toHaveBeenCalled();
        } finally {
            jest.dontMock("zlib");
            jest.dontMock("node:zlib");
        }
    });

    it("starts with a fixed gzip header: no file name, mtime 0, level 9, OS Unix (3)", () => {
        for (const { userDataBase64 } of renderEach()) {
            const header = Buffer.from(userDataBase64, "base64").subarray(0, 10);
            expect({ magic: [header[0], header[1]], method: header[2], flags: header[3], mtime: header.readUInt32LE(4), extraFlags: header[8], os: header[9] }).toEqual({
                magic: [0x1f, 0x8b],
                method: 8,
                flags: 0,
                mtime: 0,
                extraFlags: 2,
                os: 3,
            });
        }
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

    it("writes the node's files with quoted octal modes and runs the boot loader once, which fetches the boot script", () => {
        const [{ cloudConfig }] = renderEach();
        const files = writtenFiles(cloudConfig);
        expect(files.map((f) => [f.path, f.permissions])).toEqual([
            ["/etc/wso2am/node.env", "0644"],
            ["/etc/wso2am/deployment.toml", "0644"],
            ["/etc/wso2am/boot-loader.env", "0644"],
            ["/usr/local/sbin/wso2am-boot-loader", "0755"],
            ["/etc/systemd/system/wso2am.service", "0644"],
            ["/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json", "0644"],
        ]);
        // A quoted octal string, not the integer YAML would make of 0644.
        expect(cloudConfig).toMatch(/permissions: "0644"/);
        const document = YAML.parse(cloudConfig);
        expect(document.runcmd).toEqual([["/usr/local/sbin/wso2am-boot-loader", "/etc/wso2am/boot-loader.env"]]);
        expect(document.mounts).toBeUndefined();
        // The files are the templates themselves, not copies with substitutions.
        const template = (name: string) => fs.readFileSync(path.join(__dirname, "..", "..", "config-templates", name), "utf8");
        expect(files[3].content.toString()).toBe(template("boot-loader.sh"));
        expect(files[4].content.toString()).toBe(template("wso2am.service"));
        // The boot script is not in the user data; the loader's env file says where it is and what it hashes to.
        expect(cloudConfig).not.toContain(template("bootstrap.sh").split("\n")[1]);
        expect(parseNodeEnvFile(files[2].content.toString())).toEqual({
            BOOT_SCRIPT_BUCKET: sampleFacts.bootScript.bucket,
            BOOT_SCRIPT_KEY: `boot/${sampleFacts.bootScript.sha256}/wso2am-bootstrap`,
            BOOT_SCRIPT_SHA256: bootScriptArtifact("/usr/local/sbin/wso2am-bootstrap").sha256,
            BOOT_SCRIPT_PATH: "/usr/local/sbin/wso2am-bootstrap",
            AWS_REGION: sampleFacts.region,
        });
    });

    it("changes with the boot script, so a new script still replaces the nodes one at a time", () => {
        const script = fs.readFileSync(path.join(__dirname, "..", "..", "config-templates", "bootstrap.sh"), "utf8");
        const changed = bootScriptArtifact("/usr/local/sbin/wso2am-bootstrap", script.replace("set -Eeuo pipefail", "set -Eeuo pipefail # changed"));
        const original = bootScriptArtifact("/usr/local/sbin/wso2am-bootstrap", script);
        expect(changed.sha256).not.toBe(original.sha256);
        // a new script is a new object: the old key, which a node being replaced still names, is left alone
        expect(changed.key).toBe(`boot/${changed.sha256}/wso2am-bootstrap`);
        expect(changed.key).not.toBe(original.key);
        const withScript = (a: typeof changed) => renderEach(sampleConfig(), { ...sampleFacts, bootScript: { bucket: sampleFacts.bootScript.bucket, key: a.key, sha256: a.sha256 } });
        const before = withScript(original);
        const after = withScript(changed);
        for (let i = 0; i < before.length; i++) {
            expect(after[i].userDataBase64).not.toBe(before[i].userDataBase64);
            expect(after[i].cloudConfig).toContain(`BOOT_SCRIPT_SHA256="${changed.sha256}"`);
        }
    });

    it("gives each node its own name and the cloud ids, in an env file bash reads back exactly", () => {
        for (const { node, cloudConfig } of renderEach(sampleConfig())) {
            const envFile = writtenFiles(cloudConfig).find((f) => f.path === "/etc/wso2am/node.env")!;
            const file = path.join(tmp, `${node.name}.env`);
            fs.writeFileSync(file, envFile.content);
            const out = execFileSync("bash", ["-c", 'set -a; . "$1"; printf "%s|%s|%s|%s|%s" "$NODE_NAME" "$NODE_HOST_NAME" "$EFS_ACCESS_POINT_ID" "$SECRET_ARN" "$DB_HOST"', "_", file]).toString();
            expect(out).toBe([node.name, node.hostName, sampleFacts.accessPointId, sampleFacts.secretArn, "db.apim.internal"].join("|"));
            const loaderEnv = writtenFiles(cloudConfig).find((f) => f.path === "/etc/wso2am/boot-loader.env")!;
            expect(parseNodeEnvFile(loaderEnv.content.toString())).toMatchObject({ BOOT_SCRIPT_BUCKET: sampleFacts.bootScript.bucket, AWS_REGION: sampleFacts.region });
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

describe("deterministic gzip", () => {
    it("compresses a fixed input to the recorded bytes, which change only with the code or the pinned library", () => {
        const input = fixedInput();
        const compressed = deterministicGzip(input);
        expect(zlib.gunzipSync(compressed).equals(input)).toBe(true);
        // Recorded once. A new digest replaces every deployed node: update it only on purpose.
        expect({ length: compressed.length, sha256: createHash("sha256").update(compressed).digest("hex") }).toEqual({
            length: RECORDED.length,
            sha256: RECORDED.sha256,
        });
    });

    it("writes an empty input as the bare header, an empty final block, CRC 0 and length 0", () => {
        expect(deterministicGzip(new Uint8Array(0)).toString("hex")).toBe("1f8b08000000000002030300" + "00000000" + "00000000");
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

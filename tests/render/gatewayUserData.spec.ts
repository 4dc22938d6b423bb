import { execFile, execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import { planCluster } from "../../lib/plan/clusterPlan";
import { gatewayFiles, renderGatewayUserData } from "../../lib/node/gatewayUserData";
import { renderGatewayDeploymentToml } from "../../lib/node/gatewayDeploymentToml";
import { renderNodeUserData, USER_DATA_BUDGET_BYTES } from "../../lib/node/nodeUserData";
import { parseNodeEnvFile } from "../../lib/node/nodeEnvironment";
import { decodeUserData, writtenFiles } from "../../lib/node/userDataDecoding";
import { GATEWAY_BOOT_LOG_STREAM_PATTERN, GATEWAY_LOG_STREAM_PREFIX } from "../../lib/aws/rollingGate";
import { largestConfigOverrides, sampleConfig, sampleFacts, sampleGatewayFacts } from "../support/sampleConfig";
import { requireTool } from "../support/validators";
import { scratchDir } from "../support/scratchDir";

const execFileAsync = promisify(execFile);
const tmp = scratchDir("gateway-user-data");
const TEMPLATES = path.join(__dirname, "..", "..", "config-templates");
const template = (name: string) => fs.readFileSync(path.join(TEMPLATES, name), "utf8");

const GATEWAYS = { gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64), gatewayJvmHeapSizeMb: 3072 };

/** The most the gateways' files carry: every node's brokers and traffic managers, long names, analytics on. */
const largest = sampleConfig({ ...GATEWAYS, ...largestConfigOverrides() });
const longFacts = {
    ...sampleGatewayFacts,
    logGroupName: `/wso2-apim-ha/${"x".repeat(40)}/gateways`,
    bootScript: { ...sampleGatewayFacts.bootScript, bucket: `wso2-boot-bucket-${"x".repeat(38)}-1234567` },
};

function render(config = sampleConfig(GATEWAYS), facts = sampleGatewayFacts) {
    const plan = planCluster(config);
    return { config, plan, ...renderGatewayUserData(config, plan, facts) };
}

const envOf = (cloudConfig: string) => parseNodeEnvFile(writtenFiles(cloudConfig).find((f) => f.path === "/etc/wso2am/node.env")!.content.toString());

describe("gateway user data", () => {
    it("stays within the project's 12 KB for the most nodes allowed, 60-character host names and the longest bucket name", () => {
        expect(longFacts.bootScript.bucket).toHaveLength(63);
        const { userDataBase64 } = render(largest, longFacts);
        expect(Buffer.from(userDataBase64, "base64").length).toBeLessThan(USER_DATA_BUDGET_BYTES);
    });

    it("is deterministic gzip of its cloud-config, the same bytes on every render", () => {
        const a = render();
        expect(render().userDataBase64).toBe(a.userDataBase64);
        const decoded = decodeUserData(a.userDataBase64);
        expect(decoded.cloudConfig).toBe(a.cloudConfig);
        // the nodes' fixed header: no name, mtime 0, level 9, OS Unix
        expect(decoded.bytes.subarray(0, 10).toString("hex")).toBe("1f8b0800000000000203");
    });

    it("passes cloud-init's own schema validation", async () => {
        if (!requireTool("cloud-init")) return;
        const file = path.join(tmp, "gateway.yaml");
        fs.writeFileSync(file, render(largest, longFacts).cloudConfig);
        const broken = path.join(tmp, "broken.yaml");
        fs.writeFileSync(broken, "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 416\nruncmd: 5\n");
        const schema = (f: string) => execFileAsync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
        const [run, brokenRun] = await Promise.allSettled([file, broken].map(schema));
        expect(run).toEqual({ status: "fulfilled", value: expect.objectContaining({ stdout: expect.stringMatching(/^Valid (cloud-config|schema)/) }) });
        expect(brokenRun.status).toBe("rejected");
    });

    it("writes the node's paths, the same loader and runcmd, the gateway's deployment.toml and its own unit as wso2am.service", () => {
        const { config, plan, cloudConfig } = render();
        const files = writtenFiles(cloudConfig);
        expect(files.map((f) => [f.path, f.permissions, f.owner])).toEqual([
            ["/etc/wso2am/node.env", "0644", "root:root"],
            ["/etc/wso2am/deployment.toml", "0644", "root:root"],
            ["/etc/wso2am/boot-loader.env", "0644", "root:root"],
            ["/usr/local/sbin/wso2am-boot-loader", "0755", "root:root"],
            ["/etc/systemd/system/wso2am.service", "0644", "root:root"],
            ["/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json", "0644", "root:root"],
        ]);
        const content = (p: string) => files.find((f) => f.path === p)!.content.toString();
        expect(content("/etc/wso2am/deployment.toml")).toBe(renderGatewayDeploymentToml(config, plan));
        expect(content("/usr/local/sbin/wso2am-boot-loader")).toBe(template("boot-loader.sh"));
        expect(content("/etc/systemd/system/wso2am.service")).toBe(template("wso2am-gateway.service"));
        expect(parseNodeEnvFile(content("/etc/wso2am/boot-loader.env"))).toEqual({
            BOOT_SCRIPT_BUCKET: sampleGatewayFacts.bootScript.bucket,
            BOOT_SCRIPT_KEY: sampleGatewayFacts.bootScript.key,
            BOOT_SCRIPT_SHA256: sampleGatewayFacts.bootScript.sha256,
            BOOT_SCRIPT_PATH: "/usr/local/sbin/wso2am-bootstrap",
            AWS_REGION: sampleGatewayFacts.region,
        });
        const document = YAML.parse(cloudConfig);
        expect(document.runcmd).toEqual([["/usr/local/sbin/wso2am-boot-loader", "/etc/wso2am/boot-loader.env"]]);
        expect(document.mounts).toBeUndefined();
        expect(gatewayFiles(config, plan, sampleGatewayFacts).map((f) => f.path)).toEqual(files.map((f) => f.path));
    });

    it("gives the gateway role its pack, start script, heap and name, and no database, file-system or portal key", () => {
        const { config, plan, cloudConfig } = render();
        const env = envOf(cloudConfig);
        const gateways = config.gateways.enabled ? config.gateways : undefined;
        expect(env).toEqual({
            ROLE: "gateway",
            APIM_VERSION: config.apim.version,
            APIM_HOME: "/opt/wso2am",
            APIM_USER: "wso2apim",
            APIM_UID: "10001",
            APIM_GID: "10001",
            DISTRIBUTION_URL: gateways!.distributionUrl,
            DISTRIBUTION_SHA256: "c".repeat(64),
            START_SCRIPT: "bin/gateway.sh",
            JAVA_PACKAGE: plan.javaPackage,
            JVM_HEAP_MB: "3072",
            NODE_NAME: plan.gateways!.name,
            SECRET_ARN: sampleGatewayFacts.secretArn,
            AWS_REGION: sampleGatewayFacts.region,
            KEYSTORE_FILE: plan.keystore.file,
            KEYSTORE_ALIAS: plan.keystore.alias,
            TRUSTSTORE_FILE: plan.keystore.truststoreFile,
            CONTROL_PLANE_URL: "https://control-plane.apim.internal:9443/api/am/gateway/v2/server-startup-healthcheck",
            CONTROL_PLANE_WAIT_SECONDS: "2400",
            HEALTH_CHECK_URL: "https://127.0.0.1:9443/api/am/gateway/v2/server-startup-healthcheck",
            READY_TIMEOUT_SECONDS: "900",
        });
        expect(gateways!.distributionUrl).toMatch(/\/wso2am-universal-gw-4\.7\.0\.zip$/);
        expect(env.HEALTH_CHECK_URL).toBe(plan.healthCheckUrl);
        expect(Object.keys(env).filter((k) => /^(DB_|EFS_|MYSQL_|RDS_)|_DB_NAME$|HOST_NAME$/.test(k))).toEqual([]);
        expect(cloudConfig).not.toMatch(/fs-|fsap-|db\.apim\.internal/);
        // what bash (and systemd's EnvironmentFile) reads back
        const file = path.join(tmp, "gateway.env");
        fs.writeFileSync(file, writtenFiles(cloudConfig)[0].content);
        expect(execFileSync("bash", ["-c", 'set -a; . "$1"; printf "%s|%s|%s" "$ROLE" "$START_SCRIPT" "$NODE_NAME"', "_", file]).toString()).toBe("gateway|bin/gateway.sh|gateway");
    });

    it("carries no secret: the gateways read theirs from Secrets Manager at boot", () => {
        const { cloudConfig } = render(largest, longFacts);
        expect(cloudConfig).not.toContain("offline-secret-");
        expect(cloudConfig).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
        expect(cloudConfig).toContain("$secret{admin_password}");
    });

    it("ships the boot and server logs to the gateways' log group, in the streams the group's health gate reads", () => {
        const { cloudConfig } = render();
        const agent = JSON.parse(writtenFiles(cloudConfig).find((f) => f.path.endsWith("amazon-cloudwatch-agent.json"))!.content.toString());
        const collected = agent.logs.logs_collected.files.collect_list;
        for (const c of collected) {
            expect(c.log_group_name).toBe(sampleGatewayFacts.logGroupName);
            expect(c.log_stream_name).toMatch(new RegExp(`^${GATEWAY_LOG_STREAM_PREFIX}/\\{instance_id\\}/`));
        }
        expect(collected.find((c: any) => c.file_path === "/var/log/cloud-init-output.log").log_stream_name).toBe(GATEWAY_BOOT_LOG_STREAM_PATTERN);
        // its metrics go to the gateways' own namespace
        expect(agent.metrics.namespace).toBe("wso2-apim-ha/dev/gateways");
    });

    it("is refused for a stack without gateways", () => {
        const config = sampleConfig();
        expect(() => renderGatewayUserData(config, planCluster(config), sampleGatewayFacts)).toThrow(/gatewaysEnabled is false/);
    });
});

describe("the pair's user data, with the gateways' role beside it", () => {
    /**
     * Recorded from the node renderer before the roles (the dev stack's node 1, with the render's cloud ids
     * and boot script of the time): the same config and facts must still give these bytes. deployment.toml is
     * a fixed stand-in here, so its own changes (tests/render/deploymentToml.spec.ts) leave this alone; with the
     * real one these facts gave the render's user data of the time, sha256 77a93f37….
     */
    const RECORDED = { length: 4113, sha256: "10df2e5fb3d0f2e1f1b7e463221f976ee3fe6f783d62a1675c9876e921853087" };

    it("is byte-for-byte what it was: no role key, the same files in the same order", () => {
        let renderNode!: typeof renderNodeUserData;
        jest.doMock("../../lib/node/deploymentToml", () => ({
            ...jest.requireActual<object>("../../lib/node/deploymentToml"),
            renderDeploymentToml: () => "# deployment.toml stand-in\n",
        }));
        try {
            jest.isolateModules(() => {
                renderNode = require("../../lib/node/nodeUserData").renderNodeUserData;
            });
        } finally {
            jest.dontMock("../../lib/node/deploymentToml");
        }
        const config = sampleConfig({
            portalHostName: "api.dev.apim.example.com",
            gatewayHostName: "gw.dev.apim.example.com",
            distributionSha256: "0".repeat(64),
            mysqlConnectorSha256: "0".repeat(64),
            jvmHeapSizeMb: 2048,
        });
        const sha256 = "59f6f8027978475039e51ba26dce8feeaedfeb7991b9db2cd8161f7c2ef8a69a";
        const facts = {
            fileSystemId: "fs-77f49121000000000",
            accessPointId: "fsap-112523e7000000000",
            secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:wso2-secrets-secret",
            region: "eu-west-1",
            logGroupName: "/wso2-apim-ha/dev/nodes",
            bootScript: { bucket: "wso2-boot-bucket-66beda82", key: `boot/${sha256}/wso2am-bootstrap`, sha256 },
        };
        const plan = planCluster(config);
        const { userDataBase64, cloudConfig } = renderNode(config, plan, plan.nodes[0], facts);
        expect(envOf(cloudConfig).ROLE).toBeUndefined();
        expect(envOf(cloudConfig).START_SCRIPT).toBeUndefined();
        const bytes = Buffer.from(userDataBase64, "base64");
        expect({ length: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") }).toEqual(RECORDED);
    });

    it("keeps its own env file, unit and log streams while the gateways get theirs", () => {
        const config = sampleConfig(GATEWAYS);
        const plan = planCluster(config);
        const node = writtenFiles(renderNodeUserData(config, plan, plan.nodes[0], sampleFacts).cloudConfig);
        expect(node.find((f) => f.path === "/etc/systemd/system/wso2am.service")!.content.toString()).toBe(template("wso2am.service"));
        expect(envOf(renderNodeUserData(config, plan, plan.nodes[0], sampleFacts).cloudConfig)).toMatchObject({ NODE_NAME: "apim-1", DB_HOST: "db.apim.internal" });
    });
});

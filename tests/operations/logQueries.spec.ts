import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ACCESS_5XX_QUERY,
    ACCESS_LINE_REGEX,
    BOOT_FAILURE_REGEX,
    BOOT_FAILURES_QUERY,
    BOOT_LINE_REGEX,
    LAST_BOOT_QUERY,
    STREAM_NODE_REGEX,
    WSO2_ERROR_REGEX,
    WSO2_ERRORS_QUERY,
    savedQueries,
} from "../../lib/aws/logQueries";
import { cloudWatchAgentConfig, LOG_STREAMS, WSO2_RECORD_START } from "../../lib/node/logShipping";
import { nodeEnvironment, renderNodeEnvFile } from "../../lib/node/nodeEnvironment";
import { planCluster } from "../../lib/plan/clusterPlan";
import { requireTool } from "../support/validators";
import { sampleConfig, sampleFacts } from "../support/sampleConfig";

const plan = planCluster(sampleConfig());
const STREAM = "apim-2/i-0123456789abcdef0";

/**
 * Lines as API-M 4.5-4.7 write them (their log4j2 layouts: wso2carbon.log `TID: [%tenantId] [%appName] [%d] %5p {%c} - %m`,
 * the gateway error log `%d{ISO8601} [%X{ip}-%X{host}] [%t] %5p {%c} %m`, the servlet access log `%h %l %u %t %r %s %b …`).
 */
const CARBON_ERROR = "TID: [-1234] [] [2026-01-31 12:00:00,123] ERROR {org.wso2.carbon.apimgt.impl.APIManagerConfiguration} - Error while reading the configuration";
const CARBON_INFO = "TID: [-1234] [] [2026-01-31 12:00:00,123]  INFO {org.wso2.carbon.core.init.CarbonServerManager} - Server started. ERROR {not.this} appears in text";
const GATEWAY_ERROR = "2026-01-31T12:00:01,456 [10.40.8.10-apim-2] [PassThroughMessageProcessor-12] ERROR {org.apache.synapse.transport.passthru.TargetHandler} I/O error: Connection reset";
const STACK_TRACE = ["\tat org.wso2.carbon.core.Foo.bar(Foo.java:42)", "Caused by: java.sql.SQLException: Access denied"];
const ACCESS_500 = "10.40.1.25 - - [31/Jan/2026:12:00:02 +0000] POST /oauth2/token HTTP/1.1 500 312 - Synapse-PT-HttpComponents-NIO 0.021";
const ACCESS_QUOTED_503 = '10.40.1.25 - admin [31/Jan/2026:12:00:03 +0000] "GET /api/am/publisher/v4/apis HTTP/1.1" 503 90 "-" "curl/8.5.0" 0.002';
const ACCESS_200 = "10.40.1.25 - - [31/Jan/2026:12:00:04 +0000] GET /publisher/ HTTP/1.1 200 5120 - Mozilla/5.0 (X11) 0.004";

const groups = (regex: string, line: string) => new RegExp(regex).exec(line)?.groups;
/** Every `/regex/` literal in a query, as Logs Insights reads it (a slash inside is written \/). */
const regexLiterals = (query: string) => [...query.matchAll(/(?:like|parse \S+) \/((?:\\.|[^/\\])+)\//g)].map((m) => m[1]);

/** Runs the real boot script until its secrets step fails (the stack secret lacks a password), returning what it printed. */
function failingBootLog(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wso2am-boot-log-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "aws"), "#!/bin/sh\necho '{}'\n", { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "logger"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const envFile = path.join(dir, "node.env");
    fs.writeFileSync(envFile, renderNodeEnvFile(nodeEnvironment(sampleConfig(), plan, plan.nodes[1], sampleFacts)));
    const run = spawnSync("bash", [path.join(__dirname, "..", "..", "config-templates", "bootstrap.sh")], {
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}`, WSO2AM_ROOT: path.join(dir, "root"), WSO2AM_ENV_FILE: envFile, WSO2AM_STEPS: "secrets" },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).not.toBe(0);
    return run.stderr;
}

describe("the boot queries", () => {
    it("find the failed step and its reason in what the real boot script prints", () => {
        if (!requireTool("jq")) return;
        const lines = failingBootLog().trim().split("\n");
        expect(lines.map((l) => groups(BOOT_LINE_REGEX, l)?.event)).toContain("step secrets started");
        const failures = lines.map((l) => groups(BOOT_FAILURE_REGEX, l)).filter(Boolean);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatchObject({ step: "secrets", reason: expect.stringContaining("has no value for WSO2_ADMIN_PASSWORD") });
        // The last line of a stopped boot is its failure: what the dashboard's "last boot" view shows.
        expect(groups(BOOT_LINE_REGEX, lines[lines.length - 1])).toMatchObject({ step: "secrets", event: expect.stringMatching(/^FAILED: /) });
    });

    it("tell node and instance apart from the stream name the agent gives the boot log", () => {
        const boot = (cloudWatchAgentConfig(plan, plan.nodes[1], sampleFacts.logGroupName) as any).logs.logs_collected.files.collect_list.find(
            (c: any) => c.file_path === "/var/log/cloud-init-output.log",
        );
        const stream = boot.log_stream_name.replace("{instance_id}", "i-0123456789abcdef0");
        expect(groups(STREAM_NODE_REGEX, stream)).toEqual({ node: "apim-2", instance: "i-0123456789abcdef0" });
        expect(stream.endsWith(`/${LOG_STREAMS.boot}`)).toBe(true);
        expect(BOOT_FAILURES_QUERY).toContain(`/(${LOG_STREAMS.boot})$/`);
        expect(LAST_BOOT_QUERY).toMatch(/by node, instance/);
    });
});

describe("the WSO2 error query", () => {
    it("takes ERROR records of the server and gateway logs, naming their logger, and nothing else", () => {
        expect(groups(WSO2_ERROR_REGEX, CARBON_ERROR)).toEqual({ logger: "org.wso2.carbon.apimgt.impl.APIManagerConfiguration" });
        expect(groups(WSO2_ERROR_REGEX, GATEWAY_ERROR)).toEqual({ logger: "org.apache.synapse.transport.passthru.TargetHandler" });
        for (const line of [CARBON_INFO, ...STACK_TRACE, ACCESS_500]) expect(groups(WSO2_ERROR_REGEX, line)).toBeUndefined();
        expect(WSO2_ERRORS_QUERY).toContain(`/(${LOG_STREAMS.carbon}|${LOG_STREAMS.gatewayErrors})$/`);
        expect(WSO2_ERRORS_QUERY).toMatch(/by node, logger/);
    });

    it("sees a stack trace as part of its record, because the agent starts records where WSO2 does", () => {
        const files = (cloudWatchAgentConfig(plan, plan.nodes[0], sampleFacts.logGroupName) as any).logs.logs_collected.files.collect_list;
        const startOf = (file: string) => new RegExp(files.find((c: any) => c.file_path.endsWith(file)).multi_line_start_pattern);
        for (const [file, first] of [["wso2carbon.log", CARBON_ERROR], ["audit.log", CARBON_INFO], ["wso2-apigw-errors.log", GATEWAY_ERROR]] as const) {
            expect([file, startOf(file).test(first)]).toEqual([file, true]);
            for (const continuation of STACK_TRACE) expect([file, startOf(file).test(continuation)]).toEqual([file, false]);
        }
        expect(new RegExp(WSO2_RECORD_START.tenantPrefixed).test(CARBON_ERROR)).toBe(true);
    });
});

describe("the 5xx query", () => {
    it("reads status, method and path from the servlet access log, quoted or not", () => {
        expect(groups(ACCESS_LINE_REGEX, ACCESS_500)).toMatchObject({ client: "10.40.1.25", method: "POST", path: "/oauth2/token", status: "500" });
        expect(groups(ACCESS_LINE_REGEX, ACCESS_QUOTED_503)).toMatchObject({ method: "GET", path: "/api/am/publisher/v4/apis", status: "503" });
        expect(groups(ACCESS_LINE_REGEX, ACCESS_200)?.status).toBe("200");
        expect(ACCESS_5XX_QUERY).toContain("filter status like /^5/");
    });

    it("reads the access log the agent ships: today's file, never the gateway's own access log", () => {
        const access = (cloudWatchAgentConfig(plan, plan.nodes[0], sampleFacts.logGroupName) as any).logs.logs_collected.files.collect_list.find(
            (c: any) => c.log_stream_name.endsWith(`/${LOG_STREAMS.httpAccess}`),
        );
        // The agent's glob: ? is one character.
        const glob = new RegExp(`^${access.file_path.replace(/[.]/g, "\\.").replace(/\?/g, ".")}$`);
        expect(glob.test("/opt/wso2am/repository/logs/http_access_2026-01-31.log")).toBe(true);
        for (const other of ["http_access.log", "http_access_01-31-2026-1.log"]) expect(glob.test(`/opt/wso2am/repository/logs/${other}`)).toBe(false);
    });
});

describe("the saved queries", () => {
    const queries = savedQueries("wso2-apim-ha-prod");

    it("are filed in the stack's folder and answer the three first questions", () => {
        expect(queries.map((q) => q.key)).toEqual(["boot-failures", "wso2-errors", "access-5xx"]);
        for (const q of queries) expect(q.title.startsWith("wso2-apim-ha-prod/")).toBe(true);
    });

    it("hold only regular expressions that compile", () => {
        for (const query of [...queries.map((q) => q.queryString), LAST_BOOT_QUERY]) {
            const literals = regexLiterals(query);
            expect(literals.length).toBeGreaterThan(0);
            for (const literal of literals) expect(() => new RegExp(literal.replace(/\\\//g, "/"))).not.toThrow();
        }
    });

    it("parse the node of every line from its stream", () => {
        for (const q of queries) expect(q.queryString).toContain("| parse @logStream /^(?<node>[^\\/]+)\\/(?<instance>[^\\/]+)\\//");
        expect(groups(STREAM_NODE_REGEX, `${STREAM}/wso2carbon`)?.node).toBe("apim-2");
    });
});

/** The boot script and the systemd unit, checked without running them. */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { requireTool } from "../support/validators";
import { GATEWAY_UNIT, SCRIPT, UNIT, sh, tempDir } from "./fixtures/sandbox";

const hasShellcheck = requireTool("shellcheck");

// bootstrap.sh itself: with every shipped script in tests/render/nodeUserData.spec.ts
(hasShellcheck ? test : test.skip)("the test stand-ins pass shellcheck", () => {
    // execFileSync throws with shellcheck's report when it finds anything
    sh("shellcheck", ["--severity=style", path.join(__dirname, "fixtures/stub.sh")]);
});

test("the boot loader stays small, as user data carries it (bootstrap.sh is fetched, so may grow); neither traces commands", () => {
    // the whole user data is measured in tests/render/nodeUserData.spec.ts
    const loader = path.join(path.dirname(SCRIPT), "boot-loader.sh");
    expect(zlib.gzipSync(fs.readFileSync(loader), { level: 9 }).length).toBeLessThan(2 * 1024);
    for (const file of [SCRIPT, loader]) expect(fs.readFileSync(file, "utf8")).not.toMatch(/set -x|xtrace/);
});

/** [section] -> key -> values (a key may repeat, as EnvironmentFile= does). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    let section = "";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const header = /^\[(.+)\]$/.exec(line);
        if (header) {
            section = header[1];
            out[section] ??= {};
            continue;
        }
        const i = line.indexOf("=");
        if (i < 0 || section === "") throw new Error(`not a unit line: ${line}`);
        const key = line.slice(0, i).trim();
        (out[section][key] ??= []).push(line.slice(i + 1).trim());
    }
    return out;
}

test("wso2am.service runs the server as the API-M user with both env files", () => {
    const unit = parseUnit(fs.readFileSync(UNIT, "utf8"));
    const svc = unit.Service;
    expect(svc.User).toEqual(["wso2apim"]);
    expect(svc.Group).toEqual(["wso2apim"]);
    expect(svc.ExecStart).toEqual(["/opt/wso2am/bin/api-manager.sh"]);
    expect(svc.EnvironmentFile).toEqual(expect.arrayContaining(["/etc/wso2am/node.env", "/etc/wso2am/secrets.env", "/etc/wso2am/runtime.env"]));
    // secrets last, so nothing else can shadow them
    expect(svc.EnvironmentFile[svc.EnvironmentFile.length - 1]).toBe("/etc/wso2am/secrets.env");
    // Secure Vault's root password: handed over as root before every start (WSO2 deletes it once read),
    // removed after every stop
    expect(svc.ExecStartPre).toEqual(["+/usr/bin/install -m 0600 -o wso2apim -g wso2apim /etc/wso2am/vault-password /opt/wso2am/password-tmp"]);
    expect(svc.ExecStopPost).toEqual(["+/usr/bin/rm -f /opt/wso2am/password-tmp"]);
    expect(svc.Restart).toEqual(["on-failure"]);
    expect(Number(svc.LimitNOFILE[0])).toBeGreaterThanOrEqual(65535);
    expect(unit.Unit.RequiresMountsFor).toEqual(["/opt/wso2am/repository/deployment/server"]);
    expect(unit.Unit.Wants).toEqual(["network-online.target"]);
    expect(unit.Unit.After[0].split(" ")).toContain("network-online.target");
    expect(unit.Install.WantedBy).toEqual(["multi-user.target"]);
});

test("the gateway's unit is the pair's but for the start script, and needs no shared file system", () => {
    const pair = parseUnit(fs.readFileSync(UNIT, "utf8"));
    const gateway = parseUnit(fs.readFileSync(GATEWAY_UNIT, "utf8"));
    expect(gateway.Service).toEqual({ ...pair.Service, ExecStart: ["/opt/wso2am/bin/gateway.sh"] });
    expect(gateway.Install).toEqual(pair.Install);
    const { RequiresMountsFor, After, Description, ...rest } = pair.Unit;
    expect(RequiresMountsFor).toBeDefined();
    expect(gateway.Unit).toEqual({ ...rest, Description: ["WSO2 Universal Gateway"], After: ["network-online.target"] });
    expect(Description).toEqual(["WSO2 API Manager"]);
    expect(After[0].split(" ")).toContain("remote-fs.target");
});

// systemd-analyze is not one of the required tools: verify when it is there, parse always
const analyze = (() => {
    try {
        sh("sh", ["-c", "command -v systemd-analyze"]);
        return true;
    } catch {
        return false;
    }
})();
(analyze ? test : test.skip)("systemd-analyze verify accepts wso2am.service and the gateway's unit without a warning", () => {
    const root = tempDir("wso2am-unit-");
    try {
        for (const d of ["etc/systemd/system", "opt/wso2am/bin", "usr/lib/systemd", "usr/bin"]) fs.mkdirSync(path.join(root, d), { recursive: true });
        for (const tool of ["install", "rm"]) fs.copyFileSync(`/usr/bin/${tool}`, path.join(root, "usr/bin", tool));
        fs.copyFileSync(UNIT, path.join(root, "etc/systemd/system/wso2am.service"));
        fs.copyFileSync(GATEWAY_UNIT, path.join(root, "etc/systemd/system/wso2am-gateway.service"));
        for (const script of ["api-manager.sh", "gateway.sh"]) fs.writeFileSync(path.join(root, "opt/wso2am/bin", script), "#!/bin/sh\n", { mode: 0o755 });
        // the stock targets the unit refers to (a copy: systemd resolves links inside --root)
        sh("cp", ["-a", fs.existsSync("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system", path.join(root, "usr/lib/systemd/")]);
        const out = sh("sh", ["-c", 'systemd-analyze verify --root="$1" /etc/systemd/system/wso2am.service /etc/systemd/system/wso2am-gateway.service 2>&1', "sh", root]);
        expect(out).toBe("");
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
});

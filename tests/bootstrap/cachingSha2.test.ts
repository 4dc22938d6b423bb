/**
 * The boot's login to MySQL 8.4, whose default authentication is caching_sha2_password: the real boot
 * script's database step and the real MariaDB client against a stand-in MySQL server
 * (tests/support/fakeMysqlServer.ts), because MariaDB servers cannot speak that plugin. What this cannot
 * show is RDS's own side of the handshake; the stand-in follows MySQL's protocol documentation.
 */
import * as fs from "fs";
import * as path from "path";
import { CACHING_SHA2, FakeMysqlServer, cachingSha2Scramble, scrambleMatches } from "../support/fakeMysqlServer";
import { scratchDir } from "../support/scratchDir";
import { requireTool } from "../support/validators";
import { Fixtures, RunResult, STUBBED, Sandbox, buildFixtures, makeSandbox, runBootstrap, runProcess, sh } from "./fixtures/sandbox";

const tools = ["mysql", "openssl"].every((t) => requireTool(t));
const suite = tools ? describe : describe.skip;

test("the stand-in's scramble check is SHA256(password) XOR SHA256(SHA256(SHA256(password)) || nonce)", () => {
    const nonce = Buffer.from("0123456789abcdefghij");
    const scramble = cachingSha2Scramble("pass'word\"", nonce);
    expect(scramble).toHaveLength(32);
    expect(scrambleMatches(scramble, "pass'word\"", nonce)).toBe(true);
    expect(scrambleMatches(scramble, "pass'word", nonce)).toBe(false);
    expect(scrambleMatches(scramble, "pass'word\"", Buffer.from("0123456789abcdefghiJ"))).toBe(false);
    scramble[31] ^= 1;
    expect(scrambleMatches(scramble, "pass'word\"", nonce)).toBe(false);
});

/** The real client, asynchronously: the stand-in answers from this process's event loop. */
function client(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return runProcess("mysql", args, { ...process.env, ...env });
}

const failure = (stderr: string): string => stderr.split("\n").filter((l) => l.includes("FAILED:")).pop() ?? "";

suite("caching_sha2_password over TLS, with the real MariaDB client", () => {
    let dir: string;
    let fx: Fixtures;
    let server: FakeMysqlServer;
    let port: number;
    let caFile: string;
    let password: string;
    let n = 0;

    /** A certificate made by the real openssl: EC, quick to make. */
    function cert(name: string, cn: string, signer?: string): { key: string; cert: string } {
        const file = (ext: string): string => path.join(dir, `${name}.${ext}`);
        const ca = signer ? ["-CA", path.join(dir, `${signer}.pem`), "-CAkey", path.join(dir, `${signer}.key`)] : [];
        sh("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", file("key"), "-out", file("pem"),
            "-days", "3", "-subj", `/CN=${cn}`, ...ca]);
        return { key: fs.readFileSync(file("key"), "utf8"), cert: fs.readFileSync(file("pem"), "utf8") };
    }

    /** A node whose database step talks to the stand-in, with the real client and the stand-in's CA as the RDS bundle. */
    function node(): Sandbox {
        const sb = makeSandbox(dir, `node-${++n}`, fx, {
            env: { DB_HOST: "127.0.0.1", DB_PORT: String(port) },
            stubs: STUBBED.filter((s) => s !== "mysql"),
        });
        fs.copyFileSync(caFile, path.join(sb.root, "etc/wso2am/rds-ca-bundle.pem"));
        return sb;
    }

    /** The client with the options the boot's option file sets, on the command line. */
    const direct = (p: number, pw: string, extra: string[] = []): Promise<RunResult> =>
        client(["--no-defaults", "-h127.0.0.1", `-P${p}`, "-uadmin", `--password=${pw}`, "--ssl", `--ssl-ca=${caFile}`, "--connect-timeout=10", ...extra, "-NBe", "SELECT 1"]);

    beforeAll(async () => {
        dir = scratchDir("caching-sha2");
        cert("rds-ca", "Test RDS CA");
        caFile = path.join(dir, "rds-ca.pem");
        fx = buildFixtures({ rdsBundle: caFile, databaseOnly: true });
        // DB_MASTER_PASSWORD holds a quote, a double quote and a backslash: the option file escapes them
        password = fx.secrets.DB_MASTER_PASSWORD;
        // for the database's private name, not 127.0.0.1: the boot checks the chain, not the name
        server = new FakeMysqlServer({ ...cert("server", "db.apim.internal", "rds-ca"), user: "admin", password });
        port = await server.listen();
    });

    afterAll(async () => {
        await server?.close();
        if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
    });

    test("the boot's own option file logs in: caching_sha2_password, TLS, full authentication on a cold cache and fast after", async () => {
        server.cached.clear(); // as after a restart of the database
        const from = server.sessions.length;
        const r = await runBootstrap(node(), { WSO2AM_STEPS: "database" });
        expect(r.stderr).toMatch(/\[database\] database 127\.0\.0\.1:\d+ answers over TLS/);
        // the stand-in serves only the TLS check: the boot stops at the next statement, the user's set-up
        expect(failure(r.stderr)).toContain("[database] FAILED: cannot set up user wso2apim:");
        expect(r.stderr).toContain("ERROR 1105 (HY000) at line 1: fake MySQL server: no answer for: SET SESSION sql_mode=''");

        const [check, setUp, ...more] = server.sessions.slice(from);
        expect(more).toEqual([]);
        expect(check).toMatchObject({
            user: "admin",
            clientPlugin: CACHING_SHA2,
            switched: false,
            scrambleValid: true,
            auth: "full",
            cleartextPassword: password,
            authenticated: true,
            queries: ["SHOW SESSION STATUS LIKE 'Ssl_cipher'"],
            quit: true,
        });
        expect(check.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
        expect(check.attrs._client_name).toBe("libmariadb");
        // the server now holds the password's digest: no cleartext this time
        expect(setUp).toMatchObject({ clientPlugin: CACHING_SHA2, scrambleValid: true, auth: "fast", authenticated: true });
        expect(setUp.cleartextPassword).toBeUndefined();
        expect(setUp.tls).toBeDefined();

        // the plugin file the client had loaded while it authenticated, and the package it comes from
        expect(check.pluginFile).toMatch(/\/caching_sha2_password\.so$/);
        expect(fs.existsSync(check.pluginFile as string)).toBe(true);
        if (requireTool("dpkg-query")) expect(sh("dpkg-query", ["-S", check.pluginFile as string]).trim()).toMatch(/^libmariadb\d*(:[\w-]+)?: \/\S+\/caching_sha2_password\.so$/);
    });

    test("a wrong password fails the scramble check", async () => {
        const from = server.sessions.length;
        expect(await direct(port, `${password}x`)).toEqual({ code: 1, stdout: "", stderr: "ERROR 1045 (28000): Access denied for user 'admin'@'localhost' (using password: YES)\n" });
        expect(server.sessions.slice(from)).toMatchObject([{ clientPlugin: CACHING_SHA2, scrambleValid: false, authenticated: false }]);
    });

    test("the client checks the server's certificate against the CA bundle", async () => {
        const stranger = new FakeMysqlServer({ ...cert("stranger", "db.apim.internal"), user: "admin", password });
        try {
            const r = await direct(await stranger.listen(), password);
            expect(r).toEqual({ code: 1, stdout: "", stderr: "ERROR 2026 (HY000): TLS/SSL error: self-signed certificate\n" });
            expect(stranger.sessions[0].authenticated).toBe(false);
        } finally {
            await stranger.close();
        }
    });

    test("without the plugin the client cannot log in, and the boot says why at once instead of waiting", async () => {
        const empty = path.join(dir, "no-plugins");
        fs.mkdirSync(empty);
        // Connector/C 3.3 falls back to a dummy plugin, so the server's refusal (1045) carries its message
        const said = `ERROR 1045 (28000): Plugin caching_sha2_password could not be loaded: ${empty}/caching_sha2_password.so: cannot open shared object file: No such file or directory`;
        expect(await direct(port, password, [`--plugin-dir=${empty}`])).toEqual({ code: 1, stdout: "", stderr: `${said}\n` });

        const from = server.sessions.length;
        // the client's own variable for its plugin folder: the boot's command line stays as it is
        const r = await runBootstrap(node(), { WSO2AM_STEPS: "database", MARIADB_PLUGIN_DIR: empty });
        expect(r.code).toBe(1);
        expect(failure(r.stderr)).toMatch(/\[database\] FAILED: the MariaDB client lacks the caching_sha2_password plugin MySQL 8\.4 authenticates with by default \(package mariadb-connector-c\): (.*)$/);
        expect(failure(r.stderr)).toContain(said);
        // one attempt, not DB_WAIT_SECONDS (30) of them
        expect(r.stderr).not.toContain("waiting:");
        expect(server.sessions.slice(from)).toMatchObject([{ switched: true, authenticated: false }]);
    });
});

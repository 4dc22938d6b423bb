/**
 * The database step of the real boot script against a private MariaDB that requires TLS, with the
 * real mysql client: two nodes at once, a re-run, and a schema script that fails half-way.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { requireTool } from "../support/validators";
import { Fixtures, STUBBED, Sandbox, buildFixtures, makeSandbox, runBootstrap, sh, tempDir } from "./fixtures/sandbox";

// mariadbd lives in sbin, which a non-login PATH may lack
if (!(process.env.PATH ?? "").split(":").includes("/usr/sbin")) process.env.PATH = `${process.env.PATH}:/usr/sbin`;
const tools = ["mariadbd", "mariadb-install-db", "mysql", "openssl", "keytool", "zip"].every((t) => requireTool(t));
const suite = tools ? describe : describe.skip;

let dir: string;
let fx: Fixtures;
let server: ChildProcess | undefined;
let port: number;
let socket: string;
let ca: string;
let n = 0;

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
}

const sqlString = (v: string): string => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** As the server's root, over the unix socket. */
function rootSql(sql: string): string {
    return sh("mariadb", ["--no-defaults", "-S", socket, "-uroot", "-N", "-B"], { input: sql }).trim();
}

/** As DB_USER over TCP and TLS, the way WSO2 will connect. */
function userSql(password: string, sql: string): string {
    return sh("mariadb", ["--no-defaults", "-h127.0.0.1", `-P${port}`, "-uwso2apim", `--password=${password}`,
        "--ssl", `--ssl-ca=${ca}`, "-N", "-B", "-e", sql]).trim();
}

function node(env: Record<string, string> = {}, scripts: Record<string, string> = {}): Sandbox {
    const sb = makeSandbox(dir, `node-${++n}`, fx, {
        env: { DB_HOST: "127.0.0.1", DB_PORT: String(port), DB_WAIT_SECONDS: "20", ...env },
        // the real client, everything else stood in
        stubs: STUBBED.filter((s) => s !== "mysql"),
    });
    const home = path.join(sb.root, "opt/wso2am");
    fs.mkdirSync(home, { recursive: true });
    sh("cp", ["-a", path.join(fx.distTree, "dbscripts"), home]);
    for (const [rel, text] of Object.entries(scripts)) fs.writeFileSync(path.join(home, rel), text);
    return sb;
}

const DB_STEP = { WSO2AM_STEPS: "database" };

suite("bootstrap.sh database step against a real MariaDB with TLS required", () => {
    beforeAll(async () => {
        dir = tempDir("wso2am-db-");
        const pki = path.join(dir, "pki");
        fs.mkdirSync(pki);
        ca = path.join(pki, "ca.pem");
        sh("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(pki, "ca.key"), "-out", ca, "-days", "3", "-subj", "/CN=Test RDS CA"]);
        sh("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(pki, "server.key"), "-out", path.join(pki, "server.csr"), "-subj", "/CN=db.apim.internal"]);
        fs.writeFileSync(path.join(pki, "ext"), "subjectAltName=DNS:db.apim.internal,IP:127.0.0.1\n");
        sh("openssl", ["x509", "-req", "-in", path.join(pki, "server.csr"), "-CA", ca, "-CAkey", path.join(pki, "ca.key"), "-CAcreateserial",
            "-out", path.join(pki, "server.pem"), "-days", "3", "-extfile", path.join(pki, "ext")]);
        fx = buildFixtures({ rdsBundle: ca });

        const data = path.join(dir, "data");
        socket = path.join(dir, "mysqld.sock");
        sh("mariadb-install-db", ["--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"]);
        port = await freePort();
        server = spawn("mariadbd", ["--no-defaults", `--datadir=${data}`, "--user=root", `--socket=${socket}`, `--port=${port}`,
            "--bind-address=127.0.0.1", `--pid-file=${path.join(dir, "mysqld.pid")}`, `--log-error=${path.join(dir, "mysqld.err")}`,
            "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
            `--ssl-ca=${ca}`, `--ssl-cert=${path.join(pki, "server.pem")}`, `--ssl-key=${path.join(pki, "server.key")}`,
            "--require-secure-transport=ON"], { stdio: "ignore" });
        const deadline = Date.now() + 30000;
        for (;;) {
            try {
                rootSql("SELECT 1");
                break;
            } catch (e) {
                if (Date.now() > deadline || server.exitCode !== null) {
                    throw new Error(`mariadbd did not start: ${fs.existsSync(path.join(dir, "mysqld.err")) ? fs.readFileSync(path.join(dir, "mysqld.err"), "utf8") : e}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        }
        // what RDS gives us: a master user with grant option, and the first database
        rootSql(`CREATE USER 'admin'@'%' IDENTIFIED BY ${sqlString(fx.secrets.DB_MASTER_PASSWORD)};
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
CREATE DATABASE WSO2AM_DB;`);
    }, 60000);

    afterAll(async () => {
        if (server && server.exitCode === null) {
            const exited = new Promise((r) => server?.once("exit", r));
            server.kill("SIGTERM");
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10000)))]);
            clearTimeout(timer);
            if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
        }
        for (const d of [fx?.dir, dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    test("two nodes at once: both succeed, each schema is created exactly once", async () => {
        const [a, b] = [node(), node()];
        const [ra, rb] = await Promise.all([runBootstrap(a, DB_STEP), runBootstrap(b, DB_STEP)]);
        expect({ code: ra.code, err: ra.stderr }).toEqual({ code: 0, err: expect.anything() });
        expect({ code: rb.code, err: rb.stderr }).toEqual({ code: 0, err: expect.anything() });

        // the fixture scripts would fail on a second run (plain CREATE TABLE), and count their runs
        expect(rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(rootSql("SELECT COUNT(*) FROM WSO2SHARED_DB.UM_TENANT")).toBe("1");
        const created = (db: string): number => [ra.stderr, rb.stderr].filter((e) => e.includes(`creating schema ${db}`)).length;
        expect(created("WSO2AM_DB")).toBe(1);
        expect(created("WSO2SHARED_DB")).toBe(1);

        expect(rootSql("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'WSO2SHARED_DB'"))
            .toBe("utf8mb4\tutf8mb4_bin");
        // case-sensitive in practice: a table made there without a collation of its own tells 'Admin' from 'admin'
        expect(rootSql(`CREATE TABLE WSO2SHARED_DB.CASE_CHECK (V VARCHAR(10));
INSERT INTO WSO2SHARED_DB.CASE_CHECK VALUES ('Admin');
SELECT COUNT(*) FROM WSO2SHARED_DB.CASE_CHECK WHERE V = 'admin';
DROP TABLE WSO2SHARED_DB.CASE_CHECK;`)).toBe("0");

        // DB_USER: over TLS only, and sees just its two schemas
        expect(rootSql("SELECT ssl_type FROM mysql.user WHERE User = 'wso2apim'")).toBe("ANY");
        expect(userSql(fx.secrets.WSO2_DB_PASSWORD, "SHOW DATABASES").split("\n").sort()).toEqual(["WSO2AM_DB", "WSO2SHARED_DB", "information_schema"]);
        expect(userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT COUNT(*) FROM WSO2AM_DB.AM_API")).toBe("0");
        expect(() => userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT COUNT(*) FROM mysql.user")).toThrow(/denied/);
        expect(rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")).toBe("1");

        for (const r of [ra, rb]) {
            for (const k of ["DB_MASTER_PASSWORD", "WSO2_DB_PASSWORD"]) expect(r.stdout + r.stderr).not.toContain(fx.secrets[k]);
        }
        // the option file with the master password did not outlive the run
        expect(fs.readdirSync(a.tmp)).toEqual([]);
    });

    test("a re-run runs no script and brings DB_USER's password in line with the secret", async () => {
        const sb = node();
        const secret = { ...fx.secrets, WSO2_DB_PASSWORD: "rotated-'pw'-\\\"2" };
        fs.writeFileSync(sb.env.STUB_SECRET_FILE as string, JSON.stringify(secret));
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("schema WSO2AM_DB already created");
        expect(r.stderr).toContain("schema WSO2SHARED_DB already created");
        expect(rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(userSql(secret.WSO2_DB_PASSWORD, "SELECT 1")).toBe("1");
        expect(() => userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT 1")).toThrow(/denied/);
    });

    test("a schema script that fails half-way fails the boot, stops at the error and frees the lock", async () => {
        rootSql("CREATE DATABASE BROKEN_AM_DB");
        const sb = node({ APIM_DB_NAME: "BROKEN_AM_DB", SHARED_DB_NAME: "BROKEN_SHARED_DB" }, {
            "dbscripts/apimgt/mysql.sql": "CREATE TABLE AM_API (ID INTEGER);\nCREATE TABLE AM_API (ID INTEGER);\nCREATE TABLE AFTER_THE_ERROR (ID INTEGER);\n",
        });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("[database] FAILED");
        expect(r.stderr).toContain("already exists");
        expect(rootSql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'BROKEN_AM_DB' AND table_name = 'AFTER_THE_ERROR'")).toBe("0");
        expect(rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")).toBe("1");
    });

    test("a failed statement is reported without the passwords the client echoes", async () => {
        // may create databases but not users: CREATE USER, which carries the password, fails
        rootSql(`CREATE USER 'weak'@'%' IDENTIFIED BY ${sqlString(fx.secrets.DB_MASTER_PASSWORD)}; GRANT CREATE ON *.* TO 'weak'@'%';`);
        const sb = node({ DB_MASTER_USER: "weak", DB_USER: "weakling" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: cannot set up WSO2SHARED_DB and user weakling: .*IDENTIFIED BY '\*\*\*'/s);
        for (const k of ["DB_MASTER_PASSWORD", "WSO2_DB_PASSWORD"]) expect(r.stdout + r.stderr).not.toContain(fx.secrets[k]);
    });

    test("the database wait names DB_HOST when it does not answer with TLS", async () => {
        const closed = await freePort();
        const sb = node({ DB_PORT: String(closed), DB_WAIT_SECONDS: "1" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: database not ready after 1s \(DB_WAIT_SECONDS\): no TLS connection to 127\.0\.0\.1:\d+/);
    });
});

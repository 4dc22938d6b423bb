/**
 * The database step of the real boot script against a private MariaDB set up with the program's own RDS
 * parameters (TLS required, server character set), with the real mysql client: two nodes at once, a
 * re-run, a version change, a script that fails half-way, a boot killed mid-script. Key widths are
 * judged by MySQL 8's rule (tests/support/mysqlKeyWidth.ts), since MariaDB accepts over-long unique keys.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { databaseParameters, maxConnectionsFor } from "../../lib/plan/databaseParameters";
import { overLongKeys } from "../support/mysqlKeyWidth";
import { requireTool } from "../support/validators";
import { APIMGT_SQL, Fixtures, PAUSE_POINT, SCRIPT, SHARED_SQL, STUBBED, Sandbox, VERSION, buildFixtures, makeSandbox, runBootstrap, sh, tempDir } from "./fixtures/sandbox";

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
const MARKS = "wso2am_bootstrap.schema_marker";

/** Default character set of each named database, as the server reports it. */
function charsets(...dbs: string[]): Record<string, string> {
    const rows = rootSql(`SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA
WHERE SCHEMA_NAME IN (${dbs.map(sqlString).join(", ")})`);
    return Object.fromEntries(rows.split("\n").filter(Boolean).map((r) => {
        const [db, cs, coll] = r.split("\t");
        return [db, `${cs} ${coll}`];
    }));
}

const tables = (db: string): string[] =>
    rootSql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${sqlString(db)} ORDER BY TABLE_NAME`).split("\n").filter(Boolean);
const createdTables = (sql: string): string[] => [...sql.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]).sort();
const marker = (db: string): string => rootSql(`SELECT COALESCE((SELECT apim_version FROM ${MARKS} WHERE schema_name = ${sqlString(db)}), '-')`);
/** The one line the boot log ends with on failure (what the rolling gate shows). */
const failure = (stderr: string): string => stderr.split("\n").filter((l) => l.includes("FAILED:")).pop() ?? "";

/** A boot in its own process group, so that the whole of it can be killed at once. */
function startBoot(sb: Sandbox): { child: ChildProcess; done: Promise<number | null> } {
    const child = spawn("bash", [SCRIPT], { env: { ...sb.env, ...DB_STEP }, stdio: "ignore", detached: true });
    return { child, done: new Promise((r) => child.on("close", (code) => r(code))) };
}

/** Holds a named lock in a session of its own until the returned function ends that session. */
async function holdLock(name: string): Promise<() => Promise<void>> {
    const client = spawn("mariadb", ["--no-defaults", "-S", socket, "-uroot", "-N", "-B", "--unbuffered"], { stdio: ["pipe", "pipe", "ignore"] });
    await new Promise((resolve, reject) => {
        client.once("error", reject);
        client.stdout.once("data", resolve);
        client.stdin.write(`SELECT GET_LOCK(${sqlString(name)}, 10);\n`);
    });
    return () => new Promise<void>((resolve) => {
        client.once("close", () => resolve());
        client.stdin.end();
    });
}

/** The apimgt fixture script, stopping half-way until the test lets go of the lock "fixture-pause". */
const PAUSED_APIMGT_SQL = APIMGT_SQL.replace(PAUSE_POINT, "DO GET_LOCK('fixture-pause', 60);");
const waitingForLocks = (): number => Number(rootSql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = 'User lock'"));

async function until(what: string, check: () => boolean, ms = 20000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
    }
}

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
        // the RDS parameter group's settings, as server options
        const rds = databaseParameters(maxConnectionsFor(2)).map((p) => `--${p.name.replace(/_/g, "-")}=${p.value}`);
        server = spawn("mariadbd", ["--no-defaults", `--datadir=${data}`, "--user=root", `--socket=${socket}`, `--port=${port}`,
            "--bind-address=127.0.0.1", `--pid-file=${path.join(dir, "mysqld.pid")}`, `--log-error=${path.join(dir, "mysqld.err")}`,
            "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
            `--ssl-ca=${ca}`, `--ssl-cert=${path.join(pki, "server.pem")}`, `--ssl-key=${path.join(pki, "server.key")}`, ...rds], { stdio: "ignore" });
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
        // what RDS gives us: a master user with grant option, and the first database with the server's default character set
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

    // first: the marker table does not exist yet, as on a database set up before markers
    test("schemas with tables but no markers at all are left alone, and the boot says what to do", async () => {
        rootSql("CREATE DATABASE OLD_AM_DB; CREATE TABLE OLD_AM_DB.AM_API (ID INTEGER); INSERT INTO OLD_AM_DB.AM_API VALUES (7);");
        const r = await runBootstrap(node({ APIM_DB_NAME: "OLD_AM_DB", SHARED_DB_NAME: "OLD_SHARED_DB", DB_USER: "olduser" }), DB_STEP);
        expect(r.code).not.toBe(0);
        expect(failure(r.stderr)).toMatch(/\[database\] FAILED: OLD_AM_DB\/OLD_SHARED_DB have tables but no markers: see README, Recovering from a failed first boot$/);
        expect(rootSql("SELECT ID FROM OLD_AM_DB.AM_API")).toBe("7");
        expect(rootSql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'wso2am_bootstrap'")).toBe("0");
        expect(rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")).toBe("1");
    });

    test("two nodes at once: both succeed, each schema is created exactly once, in a character set its keys fit", async () => {
        expect(charsets("WSO2AM_DB")).toEqual({ WSO2AM_DB: "utf8mb4 utf8mb4_bin" });
        const release = await holdLock("fixture-pause");
        const [a, b] = [node({}, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL }), node({}, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL })];
        const boots = Promise.all([runBootstrap(a, DB_STEP), runBootstrap(b, DB_STEP)]);
        // one boot is half-way through the script, the other waits for the schema lock
        await until("both boots to wait", () => waitingForLocks() === 2);
        await release();
        const [ra, rb] = await boots;
        expect({ code: ra.code, err: ra.stderr }).toEqual({ code: 0, err: expect.anything() });
        expect({ code: rb.code, err: rb.stderr }).toEqual({ code: 0, err: expect.anything() });

        // the fixture scripts would fail on a second run (plain CREATE TABLE), and count their runs
        expect(rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(rootSql("SELECT COUNT(*) FROM WSO2SHARED_DB.UM_TENANT")).toBe("1");
        expect(tables("WSO2AM_DB")).toEqual(createdTables(APIMGT_SQL));
        expect(tables("WSO2SHARED_DB")).toEqual(createdTables(SHARED_SQL));
        const created = (db: string): number => [ra.stderr, rb.stderr].filter((e) => e.includes(`creating schema ${db}`)).length;
        expect(created("WSO2AM_DB")).toBe(1);
        expect(created("WSO2SHARED_DB")).toBe(1);
        expect([marker("WSO2AM_DB"), marker("WSO2SHARED_DB")]).toEqual([VERSION, VERSION]);

        // RDS made WSO2AM_DB with the server default; the boot gave each database its own set
        const sets = charsets("WSO2AM_DB", "WSO2SHARED_DB");
        expect(sets).toEqual({ WSO2AM_DB: "latin1 latin1_bin", WSO2SHARED_DB: "utf8mb4 utf8mb4_bin" });
        // every key of the scripts fits MySQL 8's 3072 bytes in the sets the databases ended up with
        expect(overLongKeys(APIMGT_SQL, sets.WSO2AM_DB.split(" ")[0])).toEqual([]);
        expect(overLongKeys(SHARED_SQL, sets.WSO2SHARED_DB.split(" ")[0])).toEqual([]);
        // a column that names its own character set keeps it
        expect(rootSql("SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'WSO2SHARED_DB' AND COLUMN_NAME = 'REG_PATH_VALUE'")).toBe("latin1");
        // case-sensitive: 'Admin' and 'admin' are two users, and an API name matches only itself
        expect(rootSql(`INSERT INTO WSO2SHARED_DB.UM_USER (UM_USER_NAME, UM_TENANT_ID) VALUES ('Admin', -1234), ('admin', -1234);
SELECT COUNT(*) FROM WSO2SHARED_DB.UM_USER WHERE UM_USER_NAME = 'ADMIN';
DELETE FROM WSO2SHARED_DB.UM_USER;`)).toBe("0");
        expect(rootSql(`INSERT INTO WSO2AM_DB.AM_API (API_NAME) VALUES ('PizzaShack');
SELECT COUNT(*) FROM WSO2AM_DB.AM_API WHERE API_NAME = 'pizzashack';
DELETE FROM WSO2AM_DB.AM_API;`)).toBe("0");

        // DB_USER: over TLS only, and sees just its two schemas (not the markers)
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
        expect(r.stderr).toContain(`schema WSO2AM_DB complete (API-M ${VERSION})`);
        expect(r.stderr).toContain(`schema WSO2SHARED_DB complete (API-M ${VERSION})`);
        expect(r.stderr).not.toContain("creating schema");
        expect(rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(userSql(secret.WSO2_DB_PASSWORD, "SELECT 1")).toBe("1");
        expect(() => userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT 1")).toThrow(/denied/);
    });

    test("a node of another API-M version refuses the schemas, naming both versions and the upgrade procedure", async () => {
        const r = await runBootstrap(node({ APIM_VERSION: "4.8.0" }), DB_STEP);
        expect(r.code).not.toBe(0);
        expect(failure(r.stderr)).toMatch(new RegExp(`\\[database\\] FAILED: schema WSO2AM_DB is set up for API-M ${VERSION.replace(/\./g, "\\.")}, this node runs 4\\.8\\.0: ` +
            `migrate it with WSO2's ${VERSION.replace(/\./g, "\\.")} to 4\\.8\\.0 migration first \\(README: Upgrading API-M\\)$`));
        expect(r.stderr).not.toContain("creating schema");
        expect(rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(marker("WSO2AM_DB")).toBe(VERSION);
        expect(rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")).toBe("1");
    });

    test("a script that fails half-way names the MySQL error and line; the next boot rebuilds the schema once", async () => {
        // RDS's database, made before the boot with the server default
        rootSql("CREATE DATABASE FIX_AM_DB");
        const names = { APIM_DB_NAME: "FIX_AM_DB", SHARED_DB_NAME: "FIX_SHARED_DB" };
        const broken = APIMGT_SQL.replace("CREATE TABLE AM_SCHEMA_RUNS", "CREATE TABLE AM_API (ID INTEGER);\nCREATE TABLE AM_SCHEMA_RUNS");
        const line = broken.split("\n").indexOf("CREATE TABLE AM_API (ID INTEGER);") + 1;
        const r = await runBootstrap(node(names, { "dbscripts/apimgt/mysql.sql": broken }), DB_STEP);
        expect(r.code).not.toBe(0);
        expect(failure(r.stderr)).toMatch(new RegExp(`\\[database\\] FAILED: ERROR 1050 \\(42S01\\) at line ${line} in file: '\\S+/dbscripts/apimgt/mysql\\.sql': Table 'AM_API' already exists$`));
        expect(tables("FIX_AM_DB")).not.toContain("AM_SCHEMA_RUNS");
        expect(marker("FIX_AM_DB")).toBe("-");
        expect(rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")).toBe("1");

        // the same scripts as every other node: the half-built schema is dropped and built again
        const fixed = await runBootstrap(node(names), DB_STEP);
        expect({ code: fixed.code, err: fixed.stderr }).toEqual({ code: 0, err: expect.stringContaining("creating schema FIX_AM_DB") });
        expect(tables("FIX_AM_DB")).toEqual(createdTables(APIMGT_SQL));
        expect(tables("FIX_SHARED_DB")).toEqual(createdTables(SHARED_SQL));
        expect(rootSql("SELECT COUNT(*) FROM FIX_AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect([marker("FIX_AM_DB"), marker("FIX_SHARED_DB")]).toEqual([VERSION, VERSION]);
        expect(charsets("FIX_AM_DB")).toEqual({ FIX_AM_DB: "latin1 latin1_bin" });
    });

    test("a boot killed mid-script leaves no marker; the next boot completes the schemas once", async () => {
        const names = { APIM_DB_NAME: "KILL_AM_DB", SHARED_DB_NAME: "KILL_SHARED_DB" };
        const release = await holdLock("fixture-pause");
        const boot = startBoot(node(names, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL }));
        await until("the boot to pause half-way through the script", () => waitingForLocks() === 1);
        process.kill(-(boot.child.pid as number), "SIGKILL");
        await boot.done;
        // the server ends the dead boot's session (and its locks) once its last statement returns
        await release();
        expect(tables("KILL_AM_DB")).toContain("TOKEN_BINDING");
        expect(tables("KILL_AM_DB")).not.toContain("AM_SCHEMA_RUNS");
        expect(marker("KILL_AM_DB")).toBe("-");

        const r = await runBootstrap(node(names), DB_STEP);
        expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: expect.stringContaining("creating schema KILL_AM_DB") });
        expect(tables("KILL_AM_DB")).toEqual(createdTables(APIMGT_SQL));
        expect(tables("KILL_SHARED_DB")).toEqual(createdTables(SHARED_SQL));
        expect(rootSql("SELECT COUNT(*) FROM KILL_AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect([marker("KILL_AM_DB"), marker("KILL_SHARED_DB")]).toEqual([VERSION, VERSION]);
    });

    test("a failed statement is reported without the passwords the client echoes", async () => {
        // may create databases but not users: CREATE USER, which carries the password, fails
        rootSql(`CREATE USER 'weak'@'%' IDENTIFIED BY ${sqlString(fx.secrets.DB_MASTER_PASSWORD)}; GRANT CREATE ON *.* TO 'weak'@'%';`);
        const sb = node({ DB_MASTER_USER: "weak", DB_USER: "weakling" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: cannot set up user weakling: .*IDENTIFIED BY '\*\*\*'/s);
        for (const k of ["DB_MASTER_PASSWORD", "WSO2_DB_PASSWORD"]) expect(r.stdout + r.stderr).not.toContain(fx.secrets[k]);
    });

    test("the database wait names DB_HOST when it does not answer with TLS", async () => {
        const closed = await freePort();
        const sb = node({ DB_PORT: String(closed), DB_WAIT_SECONDS: "0" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: database not ready after 0s \(DB_WAIT_SECONDS\): no TLS connection to 127\.0\.0\.1:\d+/);
    });
});

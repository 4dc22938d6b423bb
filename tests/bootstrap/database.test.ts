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

/** As the server's root, over the unix socket: in one session for the whole file. */
let root: RootSession | undefined;
function rootSql(sql: string): Promise<string> {
    if (!root) throw new Error("no root session: the server did not start");
    return root.query(sql);
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
    // the RDS CA bundle where the distribution step leaves it (the database step's own download of it
    // is tried in the sandbox test)
    fs.copyFileSync(path.join(fx.served, "global-bundle.pem"), path.join(sb.root, "etc/wso2am/rds-ca-bundle.pem"));
    const home = path.join(sb.root, "opt/wso2am");
    fs.mkdirSync(home, { recursive: true });
    fs.cpSync(path.join(fx.distTree, "dbscripts"), path.join(home, "dbscripts"), { recursive: true });
    for (const [rel, text] of Object.entries(scripts)) fs.writeFileSync(path.join(home, rel), text);
    return sb;
}

const DB_STEP = { WSO2AM_STEPS: "database" };
const MARKS = "wso2am_bootstrap.schema_marker";

interface SchemaState {
    /** Default character set and collation ("-" when the database does not exist). */
    readonly charset: string;
    readonly tables: string[];
    /** The API-M version of its completion marker, "-" without one. */
    readonly marker: string;
}

/** A database as the server sees it after a boot, read in one query. */
async function schema(db: string): Promise<SchemaState> {
    const q = sqlString(db);
    const [charset, tables, marker] = (await rootSql(`SELECT
  COALESCE((SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${q}), '-'),
  COALESCE((SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${q}), ''),
  COALESCE((SELECT apim_version FROM ${MARKS} WHERE schema_name = ${q}), '-')`)).split("\t");
    return { charset, tables: tables.split(",").filter(Boolean), marker };
}

/** What a complete schema looks like. */
const built = (charset: string, sql: string): SchemaState => ({
    charset,
    tables: [...sql.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]).sort(),
    marker: VERSION,
});
const APIM_SET = "latin1 latin1_bin";
const SHARED_SET = "utf8mb4 utf8mb4_bin";
const lockFree = async (): Promise<boolean> => (await rootSql("SELECT IS_FREE_LOCK('wso2am-schema')")) === "1";
/** The one line the boot log ends with on failure (what the rolling gate shows). */
const failure = (stderr: string): string => stderr.split("\n").filter((l) => l.includes("FAILED:")).pop() ?? "";

/** A boot in its own process group, so that the whole of it can be killed at once. */
function startBoot(sb: Sandbox): { child: ChildProcess; done: Promise<number | null> } {
    const child = spawn("bash", [SCRIPT], { env: { ...sb.env, ...DB_STEP }, stdio: "ignore", detached: true });
    return { child, done: new Promise((r) => child.on("close", (code) => r(code))) };
}

/** A root session over the socket that stays open: many statements, one client process. */
class RootSession {
    private readonly client: ChildProcess;
    private output = "";
    private ended = false;
    private waiting?: () => void;
    private queue: Promise<unknown> = Promise.resolve();

    constructor() {
        // --force: a failed statement is reported (on stdout, in its place) and the session goes on
        this.client = spawn("sh", ["-c", 'exec mariadb --no-defaults -S "$1" -uroot -N -B --unbuffered --force 2>&1', "sh", socket], { stdio: ["pipe", "pipe", "ignore"] });
        this.client.stdout?.on("data", (d) => {
            this.output += d;
            this.waiting?.();
        });
        this.client.on("close", () => {
            this.ended = true;
            this.waiting?.();
        });
    }

    /** The rows the statements return, tab-separated; statements sent at once run one after another. */
    query(sql: string): Promise<string> {
        const run = async (): Promise<string> => {
            const end = "--end-of-answer--";
            this.output = "";
            this.client.stdin?.write(`${sql.trim().replace(/;+$/, "")};\nSELECT '${end}';\n`);
            while (!this.output.includes(`${end}\n`)) {
                if (this.ended) throw new Error(`the root session ended: ${this.output}`);
                await new Promise<void>((r) => (this.waiting = r));
            }
            const answer = this.output.slice(0, this.output.indexOf(`${end}\n`)).trim();
            if (/^ERROR \d+/m.test(answer)) throw new Error(`${sql}\n${answer}`);
            return answer;
        };
        const answer = this.queue.then(run);
        this.queue = answer.catch(() => undefined);
        return answer;
    }

    /** Ends the session, and with it any lock it holds. */
    close(): Promise<void> {
        return new Promise((resolve) => {
            this.client.once("close", () => resolve());
            this.client.stdin?.end();
        });
    }
}

/** Holds a named lock in a session of its own until the returned function ends that session. */
async function holdLock(name: string): Promise<() => Promise<void>> {
    const session = new RootSession();
    expect(await session.query(`SELECT GET_LOCK(${sqlString(name)}, 10)`)).toBe("1");
    return () => session.close();
}

/** The apimgt fixture script, stopping half-way until the test lets go of the lock "fixture-pause". */
const PAUSED_APIMGT_SQL = APIMGT_SQL.replace(PAUSE_POINT, "DO GET_LOCK('fixture-pause', 60);");

/** Until `count` sessions wait for a named lock. */
async function waitingForLocks(count: number): Promise<void> {
    const probe = new RootSession();
    const deadline = Date.now() + 20000;
    while (Number(await probe.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = 'User lock'")) !== count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} sessions to wait for a lock`);
        await new Promise((r) => setTimeout(r, 20));
    }
    await probe.close();
}

suite("bootstrap.sh database step against a real MariaDB with TLS required", () => {
    beforeAll(async () => {
        // in memory where a tmpfs is at hand: the server's syncs cost nothing there
        dir = tempDir("wso2am-db-", fs.existsSync("/dev/shm") ? "/dev/shm" : undefined);
        const pki = path.join(dir, "pki");
        fs.mkdirSync(pki);
        ca = path.join(pki, "ca.pem");
        // EC keys, as RDS's ECC CA has: made in a blink, where RSA keys take a while
        const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes"];
        sh("openssl", ["req", "-x509", ...ec, "-keyout", path.join(pki, "ca.key"), "-out", ca, "-days", "3", "-subj", "/CN=Test RDS CA"]);
        sh("openssl", ["req", ...ec, "-keyout", path.join(pki, "server.key"), "-out", path.join(pki, "server.csr"), "-subj", "/CN=db.apim.internal"]);
        fs.writeFileSync(path.join(pki, "ext"), "subjectAltName=DNS:db.apim.internal,IP:127.0.0.1\n");
        sh("openssl", ["x509", "-req", "-in", path.join(pki, "server.csr"), "-CA", ca, "-CAkey", path.join(pki, "ca.key"), "-CAcreateserial",
            "-out", path.join(pki, "server.pem"), "-days", "3", "-extfile", path.join(pki, "ext")]);
        fx = buildFixtures({ rdsBundle: ca, databaseOnly: true });

        const data = path.join(dir, "data");
        socket = path.join(dir, "mysqld.sock");
        // a small redo log: quicker to create, and plenty for the test schemas
        const small = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M"];
        sh("mariadb-install-db", ["--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", ...small]);
        port = await freePort();
        // the RDS parameter group's settings, as server options
        const rds = databaseParameters(maxConnectionsFor(2)).map((p) => `--${p.name.replace(/_/g, "-")}=${p.value}`);
        server = spawn("mariadbd", ["--no-defaults", `--datadir=${data}`, "--user=root", `--socket=${socket}`, `--port=${port}`,
            "--bind-address=127.0.0.1", `--pid-file=${path.join(dir, "mysqld.pid")}`, `--log-error=${path.join(dir, "mysqld.err")}`,
            "--skip-name-resolve", "--skip-log-bin", ...small,
            `--ssl-ca=${ca}`, `--ssl-cert=${path.join(pki, "server.pem")}`, `--ssl-key=${path.join(pki, "server.key")}`, ...rds], { stdio: "ignore" });
        const deadline = Date.now() + 30000;
        for (;;) {
            try {
                // the socket appears when the server takes connections
                if (!fs.existsSync(socket)) throw new Error("no socket yet");
                const session = new RootSession();
                await session.query("SELECT 1");
                root = session;
                break;
            } catch (e) {
                if (Date.now() > deadline || server.exitCode !== null) {
                    throw new Error(`mariadbd did not start: ${fs.existsSync(path.join(dir, "mysqld.err")) ? fs.readFileSync(path.join(dir, "mysqld.err"), "utf8") : e}`);
                }
                await new Promise((r) => setTimeout(r, 50));
            }
        }
        // what RDS gives us: a master user with grant option, and the first database with the server's default character set
        await rootSql(`CREATE USER 'admin'@'%' IDENTIFIED BY ${sqlString(fx.secrets.DB_MASTER_PASSWORD)};
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
CREATE DATABASE WSO2AM_DB;`);
    }, 60000);

    afterAll(async () => {
        await root?.close();
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

    // First, side by side, the boots that never reach the schema lock: the first of them while the marker
    // table does not exist yet, as on a database set up before markers.
    test.concurrent("schemas with tables but no markers at all are left alone, and the boot says what to do", async () => {
        await rootSql("CREATE DATABASE OLD_AM_DB; CREATE TABLE OLD_AM_DB.AM_API (ID INTEGER); INSERT INTO OLD_AM_DB.AM_API VALUES (7);");
        const r = await runBootstrap(node({ APIM_DB_NAME: "OLD_AM_DB", SHARED_DB_NAME: "OLD_SHARED_DB", DB_USER: "olduser" }), DB_STEP);
        expect(r.code).not.toBe(0);
        expect(failure(r.stderr)).toMatch(/\[database\] FAILED: OLD_AM_DB\/OLD_SHARED_DB have tables but no markers: see README, Recovering from a failed first boot$/);
        expect(await rootSql(`SELECT (SELECT ID FROM OLD_AM_DB.AM_API), (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'wso2am_bootstrap'),
  IS_FREE_LOCK('wso2am-schema')`)).toBe("7\t0\t1");
    });

    test.concurrent("a failed statement is reported without the passwords the client echoes", async () => {
        // may create databases but not users: CREATE USER, which carries the password, fails
        await rootSql(`CREATE USER 'weak'@'%' IDENTIFIED BY ${sqlString(fx.secrets.DB_MASTER_PASSWORD)}; GRANT CREATE ON *.* TO 'weak'@'%';`);
        const sb = node({ DB_MASTER_USER: "weak", DB_USER: "weakling" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        // one line, the client's ERROR, as the rolling gate shows it (not the statement the client echoes)
        expect(failure(r.stderr)).toMatch(/^.*\[database\] FAILED: cannot set up user weakling: ERROR \d+ \(\w+\) at line \d+: .*denied/);
        for (const k of ["DB_MASTER_PASSWORD", "WSO2_DB_PASSWORD"]) expect(r.stdout + r.stderr).not.toContain(fx.secrets[k]);
    });

    test.concurrent("the database wait names DB_HOST when it does not answer with TLS", async () => {
        const closed = await freePort();
        const sb = node({ DB_PORT: String(closed), DB_WAIT_SECONDS: "0" });
        const r = await runBootstrap(sb, DB_STEP);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/\[database\] FAILED: database not ready after 0s \(DB_WAIT_SECONDS\): no TLS connection to 127\.0\.0\.1:\d+/);
    });

    test("two nodes at once: both succeed, each schema is created exactly once, in a character set its keys fit", async () => {
        // as RDS made it, with the server default
        expect(await rootSql("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'WSO2AM_DB'")).toBe("utf8mb4_bin");
        const release = await holdLock("fixture-pause");
        const [a, b] = [node({}, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL }), node({}, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL })];
        const boots = Promise.all([runBootstrap(a, DB_STEP), runBootstrap(b, DB_STEP)]);
        // one boot is half-way through the script, the other waits for the schema lock
        await waitingForLocks(2);
        await release();
        const [ra, rb] = await boots;
        expect({ code: ra.code, err: ra.stderr }).toEqual({ code: 0, err: expect.anything() });
        expect({ code: rb.code, err: rb.stderr }).toEqual({ code: 0, err: expect.anything() });

        // the fixture scripts would fail on a second run (plain CREATE TABLE), and count their runs
        expect(await rootSql("SELECT (SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS), (SELECT COUNT(*) FROM WSO2SHARED_DB.UM_TENANT)")).toBe("1\t1");
        const created = (db: string): number => [ra.stderr, rb.stderr].filter((e) => e.includes(`creating schema ${db}`)).length;
        expect([created("WSO2AM_DB"), created("WSO2SHARED_DB")]).toEqual([1, 1]);
        // the boot gave each database its own set, and marked it complete
        const [am, shared] = [await schema("WSO2AM_DB"), await schema("WSO2SHARED_DB")];
        expect(am).toEqual(built(APIM_SET, APIMGT_SQL));
        expect(shared).toEqual(built(SHARED_SET, SHARED_SQL));
        // every key of the scripts fits MySQL 8's 3072 bytes in the sets the databases ended up with
        expect(overLongKeys(APIMGT_SQL, am.charset.split(" ")[0])).toEqual([]);
        expect(overLongKeys(SHARED_SQL, shared.charset.split(" ")[0])).toEqual([]);
        // a column that names its own character set keeps it
        expect(await rootSql("SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'WSO2SHARED_DB' AND COLUMN_NAME = 'REG_PATH_VALUE'")).toBe("latin1");
        // case-sensitive: 'Admin' and 'admin' are two users, and an API name matches only itself
        expect(await rootSql(`INSERT INTO WSO2SHARED_DB.UM_USER (UM_USER_NAME, UM_TENANT_ID) VALUES ('Admin', -1234), ('admin', -1234);
SELECT COUNT(*) FROM WSO2SHARED_DB.UM_USER WHERE UM_USER_NAME = 'ADMIN';
DELETE FROM WSO2SHARED_DB.UM_USER;`)).toBe("0");
        expect(await rootSql(`INSERT INTO WSO2AM_DB.AM_API (API_NAME) VALUES ('PizzaShack');
SELECT COUNT(*) FROM WSO2AM_DB.AM_API WHERE API_NAME = 'pizzashack';
DELETE FROM WSO2AM_DB.AM_API;`)).toBe("0");

        // DB_USER: over TLS only, and sees just its two schemas (not the markers)
        expect(await rootSql("SELECT ssl_type FROM mysql.user WHERE User = 'wso2apim'")).toBe("ANY");
        expect(userSql(fx.secrets.WSO2_DB_PASSWORD, "SHOW DATABASES").split("\n").sort()).toEqual(["WSO2AM_DB", "WSO2SHARED_DB", "information_schema"]);
        expect(userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT COUNT(*) FROM WSO2AM_DB.AM_API")).toBe("0");
        expect(() => userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT COUNT(*) FROM mysql.user")).toThrow(/denied/);
        expect(await lockFree()).toBe(true);

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
        expect(await rootSql("SELECT COUNT(*) FROM WSO2AM_DB.AM_SCHEMA_RUNS")).toBe("1");
        expect(userSql(secret.WSO2_DB_PASSWORD, "SELECT 1")).toBe("1");
        expect(() => userSql(fx.secrets.WSO2_DB_PASSWORD, "SELECT 1")).toThrow(/denied/);
    });

    test("a node of another API-M version refuses the schemas, naming both versions and the upgrade procedure", async () => {
        const r = await runBootstrap(node({ APIM_VERSION: "4.8.0" }), DB_STEP);
        expect(r.code).not.toBe(0);
        expect(failure(r.stderr)).toMatch(new RegExp(`\\[database\\] FAILED: schema WSO2AM_DB is set up for API-M ${VERSION.replace(/\./g, "\\.")}, this node runs 4\\.8\\.0: ` +
            `migrate it with WSO2's ${VERSION.replace(/\./g, "\\.")} to 4\\.8\\.0 migration first \\(README: Upgrading API-M\\)$`));
        expect(r.stderr).not.toContain("creating schema");
        expect(await schema("WSO2AM_DB")).toEqual(built(APIM_SET, APIMGT_SQL));
        expect(await lockFree()).toBe(true);
    });

    test("a schema left half-built, by a script that fails and by a boot killed mid-script, is built again once by the next boot", async () => {
        // RDS's database, made before the boot with the server default
        await rootSql("CREATE DATABASE HALF_AM_DB");
        const names = { APIM_DB_NAME: "HALF_AM_DB", SHARED_DB_NAME: "HALF_SHARED_DB" };
        const halfBuilt = { charset: APIM_SET, tables: ["AM_API", "TOKEN_BINDING"], marker: "-" };

        // a script that fails half-way: the log names the MySQL error and the statement's line
        const broken = APIMGT_SQL.replace(PAUSE_POINT, "CREATE TABLE AM_API (ID INTEGER);");
        const line = broken.split("\n").indexOf("CREATE TABLE AM_API (ID INTEGER);") + 1;
        const failed = await runBootstrap(node(names, { "dbscripts/apimgt/mysql.sql": broken }), DB_STEP);
        expect(failed.code).not.toBe(0);
        expect(failure(failed.stderr)).toMatch(new RegExp(`\\[database\\] FAILED: ERROR 1050 \\(42S01\\) at line ${line} in file: '\\S+/dbscripts/apimgt/mysql\\.sql': Table 'AM_API' already exists$`));
        expect(await schema("HALF_AM_DB")).toEqual(halfBuilt);
        expect(await lockFree()).toBe(true);

        // a boot killed (the whole process group) while its script is half-way: the schema was dropped and begun again
        await rootSql("CREATE TABLE HALF_AM_DB.LEFT_BY_THE_FAILED_RUN (ID INTEGER)");
        const release = await holdLock("fixture-pause");
        const killed = startBoot(node(names, { "dbscripts/apimgt/mysql.sql": PAUSED_APIMGT_SQL }));
        await waitingForLocks(1);
        process.kill(-(killed.child.pid as number), "SIGKILL");
        await killed.done;
        // the server ends the dead boot's session (and its locks) once its last statement returns
        await release();
        expect(await schema("HALF_AM_DB")).toEqual(halfBuilt);

        // the next boot, with the same scripts as every other node, builds both schemas once
        const r = await runBootstrap(node(names), DB_STEP);
        expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: expect.stringContaining("creating schema HALF_AM_DB") });
        expect(await schema("HALF_AM_DB")).toEqual(built(APIM_SET, APIMGT_SQL));
        expect(await schema("HALF_SHARED_DB")).toEqual(built(SHARED_SET, SHARED_SQL));
        expect(await rootSql("SELECT COUNT(*) FROM HALF_AM_DB.AM_SCHEMA_RUNS")).toBe("1");
    });

});

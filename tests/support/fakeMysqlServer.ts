/**
 * A stand-in for an RDS MySQL 8.4 server, speaking just enough of the MySQL client/server protocol for a
 * real client to log in the way MySQL 8.4's default authentication makes it: Handshake V10 naming
 * caching_sha2_password, the SSLRequest and a TLS upgrade, the 32-byte SHA-256 scramble, full
 * authentication (the cleartext password over TLS) while the server's cache is cold and fast
 * authentication after, then text queries. MariaDB servers cannot speak caching_sha2_password, so the
 * MariaDB server the other tests start cannot show that the client side of it works.
 *
 * Written from MySQL's protocol documentation (Connection Phase, caching_sha2_password, Text Resultset).
 * Every session is recorded, for the tests to see what the client did.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import { Readable } from "stream";
import * as tls from "tls";

const CAP = {
    LONG_PASSWORD: 0x1, // MariaDB clients read it as "a MySQL server"
    FOUND_ROWS: 0x2,
    LONG_FLAG: 0x4,
    CONNECT_WITH_DB: 0x8,
    PROTOCOL_41: 0x200,
    INTERACTIVE: 0x400,
    SSL: 0x800,
    TRANSACTIONS: 0x2000,
    SECURE_CONNECTION: 0x8000,
    MULTI_STATEMENTS: 0x10000,
    MULTI_RESULTS: 0x20000,
    PLUGIN_AUTH: 0x80000,
    CONNECT_ATTRS: 0x100000,
    PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
} as const;
// no CLIENT_DEPRECATE_EOF: result sets end with EOF packets, the older and simpler form
const SERVER_CAPS = Object.values(CAP).reduce((a, b) => a | b, 0);
const STATUS_AUTOCOMMIT = 0x0002;
const UTF8MB4_0900_AI_CI = 255; // MySQL 8's default collation, as RDS announces it
const UTF8MB4_GENERAL_CI = 45;
const BINARY = 63;
const TYPE_LONGLONG = 0x08;
const TYPE_VAR_STRING = 0xfd;
export const CACHING_SHA2 = "caching_sha2_password";

export interface FakeMysqlOptions {
    /** PEM key and certificate the server presents after the SSLRequest. */
    readonly key: string;
    readonly cert: string;
    readonly user: string;
    readonly password: string;
    readonly version?: string;
}

export interface FakeMysqlSession {
    /** The TLS session, once the client upgraded. */
    tls?: { protocol: string; cipher: string };
    user?: string;
    /** The plugin the client named in its HandshakeResponse41. */
    clientPlugin?: string;
    /** Whether the server had to switch the client to caching_sha2_password (AuthSwitchRequest). */
    switched: boolean;
    /** Whether the 32-byte scramble matched the password's stored SHA-256 digest and this session's nonce. */
    scrambleValid?: boolean;
    /** "full": the cache was cold and the client sent its password over TLS; "fast": the cache held it. */
    auth?: "full" | "fast";
    cleartextPassword?: string;
    /** Connection attributes the client sent (Connector/C sends _pid, _client_version, …). */
    attrs: Record<string, string>;
    /** The client's caching_sha2_password plugin file, as mapped in its process during full authentication. */
    pluginFile?: string;
    authenticated: boolean;
    queries: string[];
    quit: boolean;
    /** Why the server ended the session early (protocol errors, a client that went away). */
    error?: string;
}

/** Reads whole packets (3-byte length, sequence id, payload) from a stream in paused mode. */
class PacketReader {
    constructor(private readonly stream: Readable) {}

    private async exactly(n: number): Promise<Buffer> {
        for (;;) {
            const chunk = this.stream.read(n) as Buffer | null;
            if (chunk !== null) {
                if (chunk.length < n) throw new Error("connection closed mid-packet");
                return chunk;
            }
            if (this.stream.readableEnded || this.stream.destroyed) throw new Error("connection closed");
            await new Promise<void>((resolve) => {
                const done = (): void => {
                    this.stream.off("readable", done).off("end", done).off("close", done).off("error", done);
                    resolve();
                };
                this.stream.on("readable", done).on("end", done).on("close", done).on("error", done);
            });
        }
    }

    async packet(): Promise<{ seq: number; payload: Buffer }> {
        const head = await this.exactly(4);
        const len = head.readUIntLE(0, 3);
        return { seq: head[3], payload: len === 0 ? Buffer.alloc(0) : await this.exactly(len) };
    }
}

const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
};
const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
};

/** Length-encoded integers and strings, as the protocol writes them. */
function lenenc(n: number): Buffer {
    if (n < 0xfb) return Buffer.from([n]);
    if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
    const b = Buffer.alloc(4);
    b[0] = 0xfd;
    b.writeUIntLE(n, 1, 3);
    return b;
}
const lenencStr = (s: string | Buffer): Buffer => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, "utf8");
    return Buffer.concat([lenenc(b.length), b]);
};

/** A cursor over a payload. */
class Payload {
    pos = 0;
    constructor(readonly buf: Buffer) {}
    int(n: number): number {
        const v = this.buf.readUIntLE(this.pos, n);
        this.pos += n;
        return v;
    }
    bytes(n: number): Buffer {
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
    }
    nulStr(): string {
        const end = this.buf.indexOf(0, this.pos);
        const s = this.buf.toString("utf8", this.pos, end < 0 ? this.buf.length : end);
        this.pos = end < 0 ? this.buf.length : end + 1;
        return s;
    }
    lenencInt(): number {
        const first = this.int(1);
        if (first < 0xfb) return first;
        if (first === 0xfc) return this.int(2);
        if (first === 0xfd) return this.int(3);
        if (first === 0xfe) return Number(this.bytes(8).readBigUInt64LE());
        throw new Error(`not a length-encoded integer: 0x${first.toString(16)}`);
    }
    lenencBytes(): Buffer {
        return this.bytes(this.lenencInt());
    }
    get done(): boolean {
        return this.pos >= this.buf.length;
    }
}

const sha256 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), crypto.createHash("sha256")).digest();

/**
 * The server's side of the caching_sha2_password scramble check: it keeps only SHA256(SHA256(password)),
 * gets SHA256(password) back as scramble XOR SHA256(stored || nonce), and compares its digest.
 */
export function scrambleMatches(scramble: Buffer, password: string, nonce: Buffer): boolean {
    if (scramble.length !== 32) return false;
    const stored = sha256(sha256(Buffer.from(password, "utf8")));
    const mask = sha256(stored, nonce);
    const digest = Buffer.from(scramble.map((b, i) => b ^ mask[i]));
    return sha256(digest).equals(stored);
}

/** What the client would send: SHA256(password) XOR SHA256(SHA256(SHA256(password)) || nonce). */
export function cachingSha2Scramble(password: string, nonce: Buffer): Buffer {
    const p1 = sha256(Buffer.from(password, "utf8"));
    const mask = sha256(sha256(p1), nonce);
    return Buffer.from(p1.map((b, i) => b ^ mask[i]));
}

/** The mapped file of the client's plugin, from the pid it sent as a connection attribute (Linux only). */
function pluginFileOf(pid: string | undefined): string | undefined {
    if (!pid || !/^\d+$/.test(pid)) return undefined;
    try {
        const line = fs.readFileSync(`/proc/${pid}/maps`, "utf8").split("\n").find((l) => l.endsWith(`/${CACHING_SHA2}.so`));
        return line?.slice(line.indexOf("/"));
    } catch {
        return undefined;
    }
}

interface Column {
    readonly name: string;
    readonly type: number;
    readonly charset: number;
    readonly length: number;
}
const textColumn = (name: string): Column => ({ name, type: TYPE_VAR_STRING, charset: UTF8MB4_GENERAL_CI, length: 1024 });

class Session {
    private seq = 0;
    private sock: net.Socket | tls.TLSSocket;
    private reader: PacketReader;

    constructor(private readonly server: FakeMysqlServer, raw: net.Socket, private readonly rec: FakeMysqlSession) {
        this.sock = raw;
        this.reader = new PacketReader(raw);
    }

    private send(payload: Buffer): void {
        const head = Buffer.alloc(4);
        head.writeUIntLE(payload.length, 0, 3);
        head[3] = this.seq;
        this.seq = (this.seq + 1) & 0xff;
        this.sock.write(Buffer.concat([head, payload]));
    }

    private async receive(): Promise<Payload> {
        const { seq, payload } = await this.reader.packet();
        this.seq = (seq + 1) & 0xff;
        return new Payload(payload);
    }

    private ok(): void {
        this.send(Buffer.concat([Buffer.from([0x00]), lenenc(0), lenenc(0), Buffer.from([STATUS_AUTOCOMMIT, 0, 0, 0])]));
    }

    private err(code: number, state: string, message: string): void {
        this.send(Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#${state}${message}`, "utf8")]));
    }

    /** An error in the connection phase ends the session, as a server does. */
    private refuse(code: number, state: string, message: string): void {
        this.err(code, state, message);
        this.sock.end();
    }

    private eof(): void {
        this.send(Buffer.from([0xfe, 0, 0, STATUS_AUTOCOMMIT, 0]));
    }

    private resultSet(columns: Column[], rows: string[][]): void {
        this.send(lenenc(columns.length));
        for (const c of columns) {
            const fixed = Buffer.alloc(13);
            fixed[0] = 0x0c; // length of the fixed-length fields
            fixed.writeUInt16LE(c.charset, 1);
            fixed.writeUInt32LE(c.length, 3);
            fixed[7] = c.type;
            this.send(Buffer.concat([lenencStr("def"), lenencStr(""), lenencStr(""), lenencStr(""), lenencStr(c.name), lenencStr(""), fixed]));
        }
        this.eof();
        for (const row of rows) this.send(Buffer.concat(row.map((v) => lenencStr(v))));
        this.eof();
    }

    private denied(): void {
        this.refuse(1045, "28000", `Access denied for user '${this.rec.user ?? ""}'@'localhost' (using password: YES)`);
    }

    async run(): Promise<void> {
        const { options } = this.server;
        // printable bytes, no NUL: the nonce also travels NUL-terminated
        const nonce = Buffer.from(crypto.randomBytes(20).map((b) => (b % 94) + 33));
        this.send(Buffer.concat([Buffer.from([0x0a]), Buffer.from(`${options.version ?? "8.4.3"}\0`), u32(this.server.nextId()),
            nonce.subarray(0, 8), Buffer.from([0]), u16(SERVER_CAPS & 0xffff), Buffer.from([UTF8MB4_0900_AI_CI]),
            u16(STATUS_AUTOCOMMIT), u16(SERVER_CAPS >>> 16), Buffer.from([nonce.length + 1]), Buffer.alloc(10),
            nonce.subarray(8), Buffer.from([0]), Buffer.from(`${CACHING_SHA2}\0`)]));

        let p = await this.receive();
        let flags = p.int(4);
        if (flags & CAP.SSL && p.buf.length === 32) {
            // SSLRequest: the TLS handshake follows at once; whatever of it has arrived stays buffered on
            // the socket, where TLSSocket picks it up
            const secure = new tls.TLSSocket(this.sock as net.Socket, { isServer: true, secureContext: tls.createSecureContext({ key: options.key, cert: options.cert }) });
            secure.on("error", (e: Error) => (this.rec.error ??= e.message));
            await new Promise<void>((resolve, reject) => {
                secure.once("secure", resolve);
                secure.once("error", reject);
            });
            this.rec.tls = { protocol: secure.getProtocol() ?? "", cipher: secure.getCipher().name };
            this.sock = secure;
            this.reader = new PacketReader(secure);
            p = await this.receive();
            flags = p.int(4);
        }
        // HandshakeResponse41
        p.bytes(4 + 1 + 23);
        this.rec.user = p.nulStr();
        const response = flags & CAP.PLUGIN_AUTH_LENENC_CLIENT_DATA ? p.lenencBytes() : flags & CAP.SECURE_CONNECTION ? p.bytes(p.int(1)) : Buffer.from(p.nulStr());
        if (flags & CAP.CONNECT_WITH_DB) p.nulStr();
        this.rec.clientPlugin = flags & CAP.PLUGIN_AUTH ? p.nulStr() : undefined;
        if (flags & CAP.CONNECT_ATTRS && !p.done) {
            const attrs = new Payload(p.lenencBytes());
            while (!attrs.done) this.rec.attrs[attrs.lenencBytes().toString("utf8")] = attrs.lenencBytes().toString("utf8");
        }
        // RDS's parameter group sets require_secure_transport
        if (!this.rec.tls) return this.refuse(3159, "HY000", "Connections using insecure transport are prohibited while --require_secure_transport=ON.");
        if (this.rec.user !== options.user) return this.denied();

        let scramble = response;
        if (this.rec.clientPlugin !== CACHING_SHA2) {
            // what MySQL 8.4 answers a client that started with another plugin (mysql_native_password is off)
            this.rec.switched = true;
            this.send(Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${CACHING_SHA2}\0`), nonce, Buffer.from([0])]));
            scramble = (await this.receive()).buf;
        }
        this.rec.scrambleValid = scrambleMatches(scramble, options.password, nonce);
        if (!this.rec.scrambleValid) return this.denied();

        if (this.server.cached.has(this.rec.user)) {
            this.rec.auth = "fast";
            this.send(Buffer.from([0x01, 0x03])); // fast_auth_success
        } else {
            // perform_full_authentication: what the server asks while its cache lacks the user (after a
            // restart or a password change)
            this.rec.auth = "full";
            this.send(Buffer.from([0x01, 0x04]));
            const clear = (await this.receive()).buf;
            this.rec.pluginFile = pluginFileOf(this.rec.attrs._pid);
            this.rec.cleartextPassword = clear.toString("utf8").replace(/\0$/, "");
            if (this.rec.cleartextPassword !== options.password) return this.denied();
            this.server.cached.add(this.rec.user);
        }
        this.rec.authenticated = true;
        this.ok();
        await this.commands();
    }

    private async commands(): Promise<void> {
        for (;;) {
            const p = await this.receive();
            const command = p.int(1);
            if (command === 0x01) {
                // COM_QUIT: the server closes without an answer
                this.rec.quit = true;
                this.sock.end();
                return;
            }
            if (command === 0x0e || command === 0x02) {
                this.ok(); // COM_PING, COM_INIT_DB
                continue;
            }
            if (command !== 0x03) {
                this.err(1047, "08S01", "Unknown command");
                continue;
            }
            const sql = p.buf.toString("utf8", 1);
            this.rec.queries.push(sql);
            const q = sql.trim().replace(/;$/, "");
            if (/^SHOW\s+(SESSION\s+)?STATUS\s+LIKE\s+'Ssl_cipher'$/i.test(q)) {
                this.resultSet([textColumn("Variable_name"), textColumn("Value")], [["Ssl_cipher", this.rec.tls?.cipher ?? ""]]);
            } else if (/^SELECT\s+1$/i.test(q)) {
                this.resultSet([{ name: "1", type: TYPE_LONGLONG, charset: BINARY, length: 1 }], [["1"]]);
            } else if (/^SELECT\s+@@version_comment\s+LIMIT\s+1$/i.test(q)) {
                this.resultSet([textColumn("@@version_comment")], [["fake MySQL server (tests)"]]);
            } else {
                this.err(1105, "HY000", `fake MySQL server: no answer for: ${q.slice(0, 60)}`);
            }
        }
    }
}

export class FakeMysqlServer {
    readonly sessions: FakeMysqlSession[] = [];
    /** Users whose password the server has seen in full since it started: they get fast authentication. */
    readonly cached = new Set<string>();
    private readonly server: net.Server;
    private readonly open = new Set<net.Socket>();
    private id = 0;

    constructor(readonly options: FakeMysqlOptions) {
        this.server = net.createServer((raw) => {
            const rec: FakeMysqlSession = { switched: false, attrs: {}, authenticated: false, queries: [], quit: false };
            this.sessions.push(rec);
            this.open.add(raw);
            // a client that resets the connection must not take the test process with it
            raw.on("error", (e: Error) => (rec.error ??= e.message));
            raw.on("close", () => this.open.delete(raw));
            new Session(this, raw, rec).run().catch((e: Error) => {
                rec.error = e.message;
                raw.destroy();
            });
        });
    }

    nextId(): number {
        return ++this.id;
    }

    /** Listens on a free port of 127.0.0.1 and returns it. */
    listen(): Promise<number> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port));
        });
    }

    close(): Promise<void> {
        for (const s of this.open) s.destroy();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

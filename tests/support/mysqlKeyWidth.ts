/**
 * Index key widths of a MySQL schema script, by MySQL 8's InnoDB rule: a key may be at most 3072 bytes,
 * and a character column counts its maximum byte length (characters × the most bytes one character
 * takes in its character set). MariaDB is no judge of this: it silently turns an over-long UNIQUE key
 * into a hidden hash index, where MySQL 8 stops the script with ERROR 1071.
 *
 * Reads what schema scripts use: CREATE TABLE (columns, inline keys, table character set), CREATE
 * [UNIQUE] INDEX, ALTER TABLE … ADD keys. A key on a column of a type it does not know is an error.
 */

/** InnoDB's largest index key with the DYNAMIC row format, MySQL 8's default. */
export const MYSQL_MAX_KEY_BYTES = 3072;

/** Most bytes one character takes, per character set. */
const BYTES_PER_CHAR: Record<string, number> = { utf8mb4: 4, utf8mb3: 3, utf8: 3, latin1: 1, ascii: 1, binary: 1 };

/** Bytes of fixed-size types in an index. */
const FIXED_BYTES: Record<string, number> = {
    TINYINT: 1, BOOL: 1, BOOLEAN: 1, SMALLINT: 2, MEDIUMINT: 3, INT: 4, INTEGER: 4, BIGINT: 8,
    FLOAT: 4, DOUBLE: 8, REAL: 8, DATE: 3, YEAR: 1, TIME: 3, DATETIME: 5, TIMESTAMP: 4,
};
const CHARACTER_TYPES = new Set(["CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"]);
const BYTE_TYPES = new Set(["BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"]);

export interface Column {
    readonly type: string;
    /** Declared length (characters or bytes), or fractional-seconds precision for time types. */
    readonly length?: number;
    readonly scale?: number;
    /** Character set of a character column, after column, table and database defaults. */
    readonly charset?: string;
}

export interface KeyWidth {
    readonly table: string;
    /** Index or constraint name, or a description of an unnamed key. */
    readonly key: string;
    readonly columns: readonly string[];
    readonly bytes: number;
}

/** Splits a script into statements, leaving out comments and respecting quotes. */
export function statements(sql: string): string[] {
    const out: string[] = [];
    let cur = "";
    for (let i = 0; i < sql.length; i++) {
        const c = sql[i];
        if (c === "-" && sql[i + 1] === "-" && /\s|$/.test(sql[i + 2] ?? "")) {
            while (i < sql.length && sql[i] !== "\n") i++;
            cur += " ";
        } else if (c === "#") {
            while (i < sql.length && sql[i] !== "\n") i++;
            cur += " ";
        } else if (c === "/" && sql[i + 1] === "*") {
            const end = sql.indexOf("*/", i + 2);
            i = end < 0 ? sql.length : end + 1;
            cur += " ";
        } else if (c === "'" || c === '"' || c === "`") {
            let j = i + 1;
            while (j < sql.length && sql[j] !== c) j += sql[j] === "\\" ? 2 : 1;
            cur += sql.slice(i, j + 1);
            i = j;
        } else if (c === ";") {
            if (cur.trim()) out.push(cur.trim());
            cur = "";
        } else {
            cur += c;
        }
    }
    if (cur.trim()) out.push(cur.trim());
    return out;
}

/** Top-level comma-separated parts of a parenthesised list's inside. */
function splitTopLevel(text: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let cur = "";
    for (const c of text) {
        if (c === "(") depth++;
        if (c === ")") depth--;
        if (c === "," && depth === 0) {
            parts.push(cur.trim());
            cur = "";
        } else {
            cur += c;
        }
    }
    if (cur.trim()) parts.push(cur.trim());
    return parts;
}

/** The text inside the parentheses that open at or after `from`, and the index after them. */
function parenthesised(text: string, from: number): { inner: string; end: number } {
    const open = text.indexOf("(", from);
    if (open < 0) throw new Error(`expected "(" in: ${text.slice(0, 120)}`);
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        if (text[i] === "(") depth++;
        if (text[i] === ")" && --depth === 0) return { inner: text.slice(open + 1, i), end: i + 1 };
    }
    throw new Error(`unbalanced parentheses in: ${text.slice(0, 120)}`);
}

const unquote = (name: string): string => name.replace(/[`"]/g, "").toUpperCase();

/** A collation names its character set first (latin1_bin → latin1). */
function charsetOf(text: string): string | undefined {
    const cs = /\b(?:CHARACTER\s+SET|CHARSET)\s*=?\s*`?(\w+)/i.exec(text)?.[1];
    if (cs) return cs.toLowerCase();
    const coll = /\bCOLLATE\s*=?\s*`?(\w+)/i.exec(text)?.[1];
    return coll ? Object.keys(BYTES_PER_CHAR).find((c) => coll.toLowerCase().startsWith(`${c}_`)) : undefined;
}

function parseColumn(def: string, tableCharset: string): [string, Column] {
    const m = /^(`[^`]+`|"[^"]+"|\w+)\s+(\w+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(.*)$/s.exec(def);
    if (!m) throw new Error(`cannot read column definition: ${def}`);
    const type = m[2].toUpperCase();
    const column: Column = {
        type,
        length: m[3] === undefined ? undefined : Number(m[3]),
        scale: m[4] === undefined ? undefined : Number(m[4]),
        charset: CHARACTER_TYPES.has(type) ? charsetOf(m[5]) ?? tableCharset : undefined,
    };
    return [unquote(m[1]), column];
}

const DECIMAL_DIGIT_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
function decimalBytes(precision: number, scale: number): number {
    const part = (digits: number) => Math.floor(digits / 9) * 4 + DECIMAL_DIGIT_BYTES[digits % 9];
    return part(precision - scale) + part(scale);
}

/** Bytes a key part takes: the whole column, or `prefix` characters (bytes for binary types) of it. */
export function keyPartBytes(column: Column, prefix?: number): number {
    const { type, length } = column;
    if (CHARACTER_TYPES.has(type)) {
        const perChar = BYTES_PER_CHAR[column.charset ?? ""];
        if (perChar === undefined) throw new Error(`unknown character set "${column.charset}"`);
        const chars = prefix ?? (type === "CHAR" || type === "VARCHAR" ? length ?? 1 : undefined);
        if (chars === undefined) throw new Error(`a ${type} key part needs a prefix length`);
        return chars * perChar;
    }
    if (BYTE_TYPES.has(type)) {
        const bytes = prefix ?? (type === "BINARY" || type === "VARBINARY" ? length ?? 1 : undefined);
        if (bytes === undefined) throw new Error(`a ${type} key part needs a prefix length`);
        return bytes;
    }
    if (type === "DECIMAL" || type === "NUMERIC") return decimalBytes(length ?? 10, column.scale ?? 0);
    if (type in FIXED_BYTES) {
        // DATETIME, TIMESTAMP and TIME take (precision + 1) / 2 more bytes for fractional seconds
        const fraction = ["DATETIME", "TIMESTAMP", "TIME"].includes(type) && length ? Math.ceil(length / 2) : 0;
        return FIXED_BYTES[type] + fraction;
    }
    throw new Error(`no key width known for type ${type}`);
}

interface Table {
    readonly columns: Map<string, Column>;
}

/** Every index key a script creates, with its width, given the database's default character set. */
export function keyWidths(sql: string, databaseCharset: string): KeyWidth[] {
    const tables = new Map<string, Table>();
    const keys: KeyWidth[] = [];
    let unnamed = 0;

    const addKey = (tableName: string, key: string | undefined, spec: string) => {
        const table = tables.get(tableName);
        if (!table) throw new Error(`key ${key ?? ""} on unknown table ${tableName}`);
        let bytes = 0;
        const columns: string[] = [];
        for (const part of splitTopLevel(spec)) {
            const m = /^(`[^`]+`|"[^"]+"|\w+)\s*(?:\(\s*(\d+)\s*\))?/.exec(part);
            if (!m) throw new Error(`cannot read key part "${part}" of ${tableName}`);
            const name = unquote(m[1]);
            const column = table.columns.get(name);
            if (!column) throw new Error(`key ${key ?? ""} on ${tableName} names unknown column ${name}`);
            columns.push(name);
            bytes += keyPartBytes(column, m[2] === undefined ? undefined : Number(m[2]));
        }
        keys.push({ table: tableName, key: key ? unquote(key) : `unnamed key ${++unnamed} (${columns.join(", ")})`, columns, bytes });
    };

    /** A key definition inside CREATE TABLE or after ALTER TABLE … ADD; false when it is no key. */
    const readKeyDefinition = (tableName: string, def: string): boolean => {
        const m = /^(?:CONSTRAINT\s+(`[^`]+`|\w+)?\s*)?(PRIMARY\s+KEY|UNIQUE(?:\s+(?:KEY|INDEX))?|KEY|INDEX|FOREIGN\s+KEY)\b\s*(`[^`]+`|\w+)?\s*(?:USING\s+\w+\s*)?\(/i.exec(def);
        if (!m) return false;
        const { inner } = parenthesised(def, m[0].length - 1);
        // InnoDB indexes a foreign key's columns unless an index already starts with them
        addKey(tableName, m[3] ?? m[1] ?? (/^PRIMARY/i.test(m[2]) ? "PRIMARY" : undefined), inner);
        return true;
    };

    for (const stmt of statements(sql)) {
        const create = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|\w+)\s*/i.exec(stmt);
        if (create) {
            const name = unquote(create[1]);
            const { inner, end } = parenthesised(stmt, create[0].length);
            const tableCharset = charsetOf(stmt.slice(end)) ?? databaseCharset;
            // IF NOT EXISTS on a table made earlier: MySQL skips the statement
            if (tables.has(name)) continue;
            const table: Table = { columns: new Map() };
            tables.set(name, table);
            const inlineKeys: [string, string][] = [];
            for (const def of splitTopLevel(inner)) {
                if (readKeyDefinition(name, def) || /^(CHECK|CONSTRAINT\s+\w+\s+CHECK)\b/i.test(def)) continue;
                const [col, column] = parseColumn(def, tableCharset);
                table.columns.set(col, column);
                if (/\bPRIMARY\s+KEY\b/i.test(def)) inlineKeys.push(["PRIMARY", col]);
                else if (/\bUNIQUE\b/i.test(def)) inlineKeys.push([col, col]);
            }
            // keys declared before their columns are read after all columns
            for (const [key, col] of inlineKeys) addKey(name, key, col);
            continue;
        }
        const index = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(`[^`]+`|\w+)\s+ON\s+(`[^`]+`|\w+)\s*/i.exec(stmt);
        if (index) {
            addKey(unquote(index[2]), index[1], parenthesised(stmt, index[0].length).inner);
            continue;
        }
        const alter = /^ALTER\s+TABLE\s+(`[^`]+`|\w+)\s+(.*)$/is.exec(stmt);
        if (alter) {
            for (const action of splitTopLevel(alter[2])) {
                const add = /^ADD\s+(?!COLUMN\b)(.*)$/is.exec(action);
                if (add) readKeyDefinition(unquote(alter[1]), add[1]);
            }
        }
    }
    return keys;
}

/** The keys MySQL 8 rejects (ERROR 1071). */
export function overLongKeys(sql: string, databaseCharset: string): KeyWidth[] {
    return keyWidths(sql, databaseCharset).filter((k) => k.bytes > MYSQL_MAX_KEY_BYTES);
}

import { APIMGT_SQL, SHARED_SQL } from "../bootstrap/fixtures/sandbox";
import { MYSQL_MAX_KEY_BYTES, keyWidths, overLongKeys, statements } from "./mysqlKeyWidth";

const widths = (sql: string, charset: string): Record<string, number> =>
    Object.fromEntries(keyWidths(sql, charset).map((k) => [`${k.table}.${k.key}`, k.bytes]));

describe("MySQL 8 key widths", () => {
    test("the fixture schema scripts carry keys as wide as WSO2's 4.5/4.6 scripts: over the limit in utf8mb4 only", () => {
        expect(overLongKeys(APIMGT_SQL, "utf8mb4").map((k) => [k.table, k.columns.join(","), k.bytes])).toEqual([
            ["TOKEN_BINDING", "TOKEN_ID,BINDING_TYPE,BINDING_VALUE", 5244],
            ["TOKEN_BINDING", "BINDING_VALUE,BINDING_TYPE", 4224],
            ["SCIM_GROUP", "TENANT_ID,ROLE_NAME,ATTR_NAME", 5120],
        ]);
        expect(overLongKeys(APIMGT_SQL, "utf8mb3").length).toBe(3);
        expect(overLongKeys(APIMGT_SQL, "latin1")).toEqual([]);
        // the user-store script fits in utf8mb4, by 4 bytes
        expect(overLongKeys(SHARED_SQL, "utf8mb4")).toEqual([]);
        expect(Math.max(...keyWidths(SHARED_SQL, "utf8mb4").map((k) => k.bytes))).toBe(3068);
    });

    test("a column's own character set wins over the table's, and the table's over the database's", () => {
        const sql = `CREATE TABLE A (X VARCHAR(100) CHARACTER SET latin1, Y VARCHAR(100) COLLATE utf8mb3_bin, Z VARCHAR(100),
  KEY KX (X), KEY KY (Y), KEY KZ (Z)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE B (Z VARCHAR(100), KEY KZ (Z));`;
        expect(widths(sql, "latin1")).toEqual({ "A.KX": 100, "A.KY": 300, "A.KZ": 400, "B.KZ": 100 });
    });

    test("fixed-size types, prefixes, and keys from every kind of statement count", () => {
        const sql = `-- a comment; with a semicolon
CREATE TABLE IF NOT EXISTS T (
  ID INTEGER NOT NULL AUTO_INCREMENT, BIG BIGINT, AT TIMESTAMP(6), AMOUNT DECIMAL(10,2),
  \`NAME\` VARCHAR (255) NOT NULL DEFAULT 'a;b', BODY TEXT, PARENT INT UNIQUE,
  PRIMARY KEY (ID), CONSTRAINT T_NAME UNIQUE (NAME, BIG), FOREIGN KEY (BIG) REFERENCES U (ID) ON DELETE CASCADE
) ENGINE INNODB;
/* a block comment; */
CREATE UNIQUE INDEX IDX_T_BODY ON T (BODY(100), AT);
ALTER TABLE T ADD CONSTRAINT T_AMOUNT UNIQUE (AMOUNT, ID), ADD INDEX IDX_T_NAME (NAME(10) DESC);
CREATE TABLE IF NOT EXISTS T (OTHER VARCHAR(9000), KEY K (OTHER));`;
        expect(widths(sql, "utf8mb4")).toEqual({
            "T.PRIMARY": 4,
            "T.T_NAME": 255 * 4 + 8,
            "T.unnamed key 1 (BIG)": 8,
            "T.PARENT": 4,
            "T.IDX_T_BODY": 400 + 7,
            "T.T_AMOUNT": 5 + 4,
            "T.IDX_T_NAME": 40,
        });
        expect(statements(sql)).toHaveLength(4);
    });

    test("the limit is MySQL 8's 3072 bytes, inclusive", () => {
        expect(MYSQL_MAX_KEY_BYTES).toBe(3072);
        expect(overLongKeys("CREATE TABLE T (A VARCHAR(768), KEY K (A));", "utf8mb4")).toEqual([]);
        expect(overLongKeys("CREATE TABLE T (A VARCHAR(769), KEY K (A));", "utf8mb4").map((k) => k.bytes)).toEqual([3076]);
    });

    test("what it cannot measure is an error, not a pass", () => {
        expect(() => keyWidths("CREATE TABLE T (A TEXT, KEY K (A));", "utf8mb4")).toThrow(/needs a prefix length/);
        expect(() => keyWidths("CREATE TABLE T (A VARCHAR(10), KEY K (B));", "utf8mb4")).toThrow(/unknown column B/);
        expect(() => keyWidths("CREATE INDEX K ON NOPE (A);", "utf8mb4")).toThrow(/unknown table NOPE/);
        expect(() => keyWidths("CREATE TABLE T (A VARCHAR(10), KEY K (A));", "koi8r")).toThrow(/unknown character set/);
        expect(() => keyWidths("CREATE TABLE T (A GEOMETRY, KEY K (A));", "utf8mb4")).toThrow(/no key width known for type GEOMETRY/);
    });
});

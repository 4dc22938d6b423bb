import * as zlib from "zlib";
import * as YAML from "yaml";

/** Undoes what EC2 and cloud-init undo: base64, then gzip when the bytes are gzip. */
export function decodeUserData(base64: string): { bytes: Buffer; cloudConfig: string } {
    const bytes = Buffer.from(base64, "base64");
    const isGzip = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
    return { bytes, cloudConfig: (isGzip ? zlib.gunzipSync(bytes) : bytes).toString("utf8") };
}

export interface WrittenFile {
    readonly path: string;
    readonly content: Buffer;
    readonly permissions: string;
    readonly owner: string;
}

/** The files a cloud-config's write_files creates, decoded as cloud-init decodes them. */
export function writtenFiles(cloudConfig: string): WrittenFile[] {
    const document = YAML.parse(cloudConfig) as { write_files?: Record<string, unknown>[] };
    return (document.write_files ?? []).map((entry) => {
        const raw = String(entry.content ?? "");
        const encoding = String(entry.encoding ?? "text");
        let content: Buffer;
        if (["b64", "base64"].includes(encoding)) content = Buffer.from(raw, "base64");
        else if (["gz+b64", "gzip+base64", "gz+base64", "gzip+b64"].includes(encoding)) content = zlib.gunzipSync(Buffer.from(raw, "base64"));
        else content = Buffer.from(raw, "utf8");
        return { path: String(entry.path), content, permissions: String(entry.permissions ?? "0644"), owner: String(entry.owner ?? "root:root") };
    });
}

import { isSecretWrapper } from "./renderedResource";

/**
 * What changed in a resource's inputs, leaf by leaf ("rootBlockDevice.volumeSize"), with secrets masked:
 * a value Pulumi marks secret, or any text holding an offline secret, shows as SECRET_MASK. A string
 * holding a JSON document (an IAM policy) is compared inside, so a new action shows as one line.
 */

export const SECRET_MASK = "[secret]";
/** Every secret the offline mocks generate starts with this (see lib/offline/offlineMocks.ts). */
const OFFLINE_SECRET_TEXT = "offline-secret-";
/** Inputs whose change is shown through the node and gateway files rather than as a value (`content`: the boot script's S3 object, rendered as each node's and the gateways' wso2am-bootstrap). */
const SHOWN_AS_FILES = new Set(["userDataBase64", "userData", "content"]);
const MAX_VALUE_CHARS = 120;

export interface InputChange {
    /** Leaf path, e.g. `instanceType`, `rootBlockDevice.volumeSize`, `policy (JSON).Statement[0].Action[2]`. */
    readonly path: string;
    /** Display text (masked, shortened); undefined when the input is absent on that side. */
    readonly before?: string;
    readonly after?: string;
}

export function inputChanges(before: Record<string, unknown>, after: Record<string, unknown>): InputChange[] {
    const a = flatten(before);
    const b = flatten(after);
    const paths = [...new Set([...a.keys(), ...b.keys()])];
    return paths
        .filter((p) => a.get(p)?.compared !== b.get(p)?.compared)
        .map((p) => ({ path: p, before: a.get(p)?.shown, after: b.get(p)?.shown }));
}

/** Masks offline secrets in free text (node files, patches). */
export function maskText(text: string): string {
    return text.replace(/offline-secret-[A-Za-z0-9._-]*/g, SECRET_MASK);
}

/** A leaf: what is compared (the real value) and what is shown (masked, shortened). */
interface Leaf {
    readonly compared: string;
    readonly shown: string;
}

function flatten(value: unknown, prefix = "", out = new Map<string, Leaf>()): Map<string, Leaf> {
    const key = (k: string | number) => (typeof k === "number" ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k);
    const compared = JSON.stringify(value) ?? String(value);
    if (isSecretWrapper(value)) {
        out.set(prefix, { compared, shown: SECRET_MASK });
        return out;
    }
    if (Array.isArray(value)) {
        if (value.length === 0) out.set(prefix, { compared, shown: "[]" });
        value.forEach((v, i) => flatten(v, key(i), out));
        return out;
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value);
        if (entries.length === 0) out.set(prefix, { compared, shown: "{}" });
        for (const [k, v] of entries) flatten(v, key(k), out);
        return out;
    }
    if (typeof value === "string") {
        const name = prefix.split(/[.[]/).pop() ?? prefix;
        if (value.includes(OFFLINE_SECRET_TEXT)) {
            out.set(prefix, { compared, shown: SECRET_MASK });
            return out;
        }
        if (SHOWN_AS_FILES.has(name)) {
            out.set(prefix, { compared, shown: `(${value.length} characters; see the node and gateway files)` });
            return out;
        }
        const document = jsonDocument(value);
        if (document !== undefined) return flatten(document, `${prefix} (JSON)`, out);
    }
    out.set(prefix, { compared, shown: shorten(compared) });
    return out;
}

function jsonDocument(text: string): object | undefined {
    if (!/^\s*[[{]/.test(text)) return undefined;
    try {
        const parsed = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null ? parsed : undefined;
    } catch {
        return undefined;
    }
}

function shorten(text: string): string {
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

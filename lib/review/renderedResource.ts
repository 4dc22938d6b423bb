/**
 * One resource as the offline render records it (resources.json, or the in-process run). `id` is present
 * in-process (and in resources.json once it records ids); the review code works without it where it can.
 */
export interface RenderedResource {
    readonly type: string;
    readonly name: string;
    /** Name of the parent resource; null for the stack's direct children. */
    readonly parent: string | null;
    readonly id?: string;
    readonly inputs: Record<string, any>;
    readonly outputs?: Record<string, any>;
}

/** Pulumi marks a secret value with this key (its value is the fixed signature below). */
const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

/** A Pulumi secret as serialised in resources.json: `{ <signature key>: <signature>, value }`. */
export function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}


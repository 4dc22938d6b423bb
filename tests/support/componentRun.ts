import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_SECRET_PREFIX, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";

/** Waits until every registration started so far has reached the mocks (components create no resources in applies). */
export async function settle(): Promise<void> {
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/**
 * Between two specs of one entry file, which share one Pulumi SDK: the previous spec's registrations have
 * reached its mocks, and no stack configuration is left over, as if each spec ran in a process of its own.
 */
export async function resetPulumiBetweenSpecs(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the previous spec left Pulumi registrations running for 10 s")), 10000);
    });
    try {
        await Promise.race([settle(), stuck]);
    } finally {
        clearTimeout(timer);
    }
    pulumi.runtime.setAllConfig({}, []);
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((done) => output.apply((value) => done(value)));
}

const SIG = pulumi.runtime.specialSigKey;
const SECRET = pulumi.runtime.specialSecretSig;

function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG] === SECRET;
}

/** A recorded value with Pulumi's secret wrappers removed. */
export function plain(value: unknown): any {
    if (isSecretWrapper(value)) return plain(value.value);
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
}

/** Whether a recorded value arrived marked secret. */
export function wasSecret(value: unknown): boolean {
    return isSecretWrapper(value);
}

/** Paths of generated-secret text that is NOT inside a secret wrapper. */
export function plainSecretPaths(value: unknown, path = "$"): string[] {
    if (isSecretWrapper(value)) return [];
    if (typeof value === "string") return value.includes(OFFLINE_SECRET_PREFIX) ? [path] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => plainSecretPaths(v, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => plainSecretPaths(v, `${path}.${k}`));
    return [];
}

/** The resource named `root` and everything registered beneath it. */
export function tree(run: OfflineRun, root: string): RecordedResource[] {
    const names = new Set([root]);
    let grew = true;
    while (grew) {
        grew = false;
        for (const r of run.resources) {
            if (r.parent !== null && names.has(r.parent) && !names.has(r.name)) {
                names.add(r.name);
                grew = true;
            }
        }
    }
    return run.resources.filter((r) => names.has(r.name));
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

export function one(resources: readonly RecordedResource[], type: string): RecordedResource {
    const found = ofType(resources, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
}

/** Pulumi `protect` of a child of a component (the mocks do not receive it). */
export function isProtected(component: pulumi.ComponentResource, childName: string): boolean {
    const children = (component as unknown as { __childResources?: Set<{ __name?: string; __protect?: boolean }> }).__childResources ?? new Set();
    const child = [...children].find((c) => c.__name === childName);
    if (!child) throw new Error(`${childName} is not a child of the component`);
    return child.__protect === true;
}

import { renderStack, RenderResult } from "../../scripts/render";
import { ProgramModel, tempRenderDir } from "../program/programModel";

/**
 * A sample stack rendered once per entry file (tests/support/specEntries.ts) for the specs that only read
 * its render, with its stack file as it is (no overrides). A render is deterministic, so each of them sees
 * what a render of its own would give; a spec that renders with overrides, or writes into a render folder,
 * calls renderStack itself. The result is frozen, so no spec can change what another one reads.
 */
export interface SharedRender {
    readonly result: RenderResult;
    readonly model: ProgramModel;
    /** What the render printed with console.warn (configuration warnings); nothing of it reaches the console. */
    readonly warnings: readonly string[];
}

const renders = new Map<string, Promise<SharedRender>>();

export function renderOnce(stack: "dev" | "prod"): Promise<SharedRender> {
    let render = renders.get(stack);
    if (!render) {
        render = renderCapturingWarnings(stack);
        renders.set(stack, render);
    }
    return render;
}

async function renderCapturingWarnings(stack: string): Promise<SharedRender> {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
        const result = await renderStack(stack, { outDir: tempRenderDir(`shared-${stack}`) });
        return deepFreeze({ result, model: new ProgramModel(result.resources), warnings });
    } finally {
        console.warn = warn;
    }
}

function deepFreeze<T>(value: T): T {
    // Buffers (user data, file contents) cannot be frozen; they are only compared in the tests.
    if (typeof value !== "object" || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    return value;
}

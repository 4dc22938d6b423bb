import { renderStack, RenderResult } from "../../scripts/render";
import { ProgramModel, tempRenderDir } from "../program/programModel";
import { deepFreeze } from "../../lib/deepFreeze";

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

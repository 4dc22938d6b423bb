import * as fs from "fs";
import * as path from "path";

/** Whether an executable is on PATH, as `command -v` finds it, without starting a shell for it. */
function onPath(name: string): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
        const file = path.join(dir || ".", name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
        } catch {
            return false;
        }
    });
}

/**
 * Whether a real validator is installed. Under CI a missing one is an error, so a green run always
 * means the validator ran; on a workstation the test is skipped with a note instead.
 */
export function requireTool(name: string): boolean {
    if (onPath(name)) return true;
    if (process.env.CI) throw new Error(`${name} is required in CI but is not installed (see .ci/run)`);
    // eslint-disable-next-line no-console
    console.warn(`${name} is not installed: skipping the checks that need it`);
    return false;
}

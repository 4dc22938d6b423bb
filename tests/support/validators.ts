import { execFileSync } from "child_process";

/**
 * Whether a real validator is installed. Under CI a missing one is an error, so a green run always
 * means the validator ran; on a workstation the test is skipped with a note instead.
 */
export function requireTool(name: string): boolean {
    try {
        execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
        return true;
    } catch {
        if (process.env.CI) throw new Error(`${name} is required in CI but is not installed (see .ci/run)`);
        // eslint-disable-next-line no-console
        console.warn(`${name} is not installed: skipping the checks that need it`);
        return false;
    }
}

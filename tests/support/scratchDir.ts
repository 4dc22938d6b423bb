import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Scratch folders of a test file: made in the OS temp folder, removed once the file's tests are done
 * (tests/support/removeScratchDirs.ts, a jest setup file), so repeated runs leave nothing behind. The boot
 * script's suites remove their own folders, after stopping what runs in them (MariaDB).
 */
const made: string[] = [];

export function scratchDir(label: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wso2-${label}-`));
    made.push(dir);
    return dir;
}

export function removeScratchDirs(): void {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * The boot script as an S3 object: too large for user data, so a node fetches it at boot and checks it
 * against the SHA-256 its user data carries. The key holds the checksum, so a changed script is a new
 * object and a node never runs a script other than the one its user data names.
 */

/** Where in the boot artifacts bucket the boot scripts live; the node role may read only under it. */
export const BOOT_OBJECT_PREFIX = "boot/";

const TEMPLATE = path.join(__dirname, "..", "..", "config-templates", "bootstrap.sh");

export interface BootScriptArtifact {
    readonly content: string;
    /** SHA-256 of the UTF-8 bytes, lower-case hex (what sha256sum prints). */
    readonly sha256: string;
    /** boot/<sha256>/<file name of the installed script>. */
    readonly key: string;
}

/** Where a node fetches its boot script from, and what it must hash to: part of its user data. */
export interface BootScriptLocation {
    readonly bucket: string;
    readonly key: string;
    readonly sha256: string;
}

export function sha256Hex(content: string | Buffer): string {
    return createHash("sha256").update(content).digest("hex");
}

/** The object for a boot script (by default config-templates/bootstrap.sh) installed at `installPath` on the node. */
export function bootScriptArtifact(installPath: string, content: string = fs.readFileSync(TEMPLATE, "utf8")): BootScriptArtifact {
    const sha256 = sha256Hex(content);
    return { content, sha256, key: `${BOOT_OBJECT_PREFIX}${sha256}/${path.posix.basename(installPath)}` };
}

import { decodeUserData, writtenFiles, WrittenFile } from "../node/userDataDecoding";
import { parseNodeEnvFile } from "../node/nodeEnvironment";
import { sha256Hex } from "../node/bootScript";

/** The S3 object resource the boot script is stored as (components/bootArtifacts.ts). */
export const BUCKET_OBJECT_TYPE = "aws:s3/bucketObjectv2:BucketObjectv2";

/** What this reads of a recorded resource: the render's own records and resources.json both fit. */
interface StoredObject {
    readonly type: string;
    readonly inputs: Record<string, any>;
}

/**
 * What a node's boot loader fetches and installs, as the render can know it: its env file names a bucket,
 * key and SHA-256, and the stack's object at that bucket and key holds the script. Fails where the loader
 * would, so a render never shows a node a script it could not boot from.
 */
export function fetchedBootScript(files: readonly WrittenFile[], resources: readonly StoredObject[], loaderEnvPath: string): WrittenFile {
    const envFile = files.find((f) => f.path === loaderEnvPath);
    if (!envFile) throw new Error(`the node's user data writes no ${loaderEnvPath}`);
    const env = parseNodeEnvFile(envFile.content.toString("utf8"));
    const { BOOT_SCRIPT_BUCKET: bucket, BOOT_SCRIPT_KEY: key, BOOT_SCRIPT_SHA256: sha256, BOOT_SCRIPT_PATH: installPath } = env;
    const source = `s3://${bucket}/${key}`;
    const object = resources.find((r) => r.type === BUCKET_OBJECT_TYPE && r.inputs.bucket === bucket && r.inputs.key === key);
    if (!object || typeof object.inputs.content !== "string") throw new Error(`the boot loader fetches ${source}, which the stack does not store`);
    const actual = sha256Hex(object.inputs.content);
    if (actual !== sha256) throw new Error(`the boot loader would refuse ${source}: expected SHA-256 ${sha256}, the object has ${actual}`);
    // As the loader installs it: 0755, root.
    return { path: installPath, content: Buffer.from(object.inputs.content, "utf8"), permissions: "0755", owner: "root:root" };
}

/** What a machine (a node, or a gateway launched from its template) receives and installs at boot. */
export interface BootFiles {
    /** The bytes EC2 receives (the user data base64-decoded, still gzip). */
    readonly userData: Buffer;
    readonly cloudConfig: string;
    /** Every file cloud-init writes, then the boot script the loader fetches and installs. */
    readonly files: WrittenFile[];
}

/**
 * Decodes user data as EC2 and cloud-init do and adds the boot script its loader would install: the one
 * path for the nodes' instances and the gateways' launch template. Fails, naming `label`, where the loader would.
 */
export function bootFiles(userDataBase64: string, resources: readonly StoredObject[], loaderEnvPath: string, label: string): BootFiles {
    const { bytes, cloudConfig } = decodeUserData(userDataBase64);
    const files = writtenFiles(cloudConfig);
    try {
        files.push(fetchedBootScript(files, resources, loaderEnvPath));
    } catch (err) {
        throw new Error(`${label}: ${(err as Error).message}`);
    }
    return { userData: bytes, cloudConfig, files };
}

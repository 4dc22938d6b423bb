import { deflateRaw, Z_DEFAULT_STRATEGY } from "pako";

/**
 * Gzip whose bytes depend only on the input: the same on every OS, CPU and Node version. Node's own
 * zlib writes the OS it was built for into the header and its deflate output follows the zlib it
 * bundles, so user data compressed with it could differ between machines and replace every node.
 * The deflate is pako's, pinned to an exact version in package.json (a new version may change the bytes).
 */

/**
 * The gzip member header (RFC 1952): magic 1f 8b, method 8 (deflate), no flags (no name, comment or
 * extra field), mtime 0, XFL 2 (maximum compression, level 9), OS 3 (Unix). 3 because Node writes 3
 * on Linux, where CI previews: stacks deployed from Linux keep their bytes. gunzip, cloud-init's Python
 * gzip included, ignores the OS byte.
 */
const HEADER = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03];

/**
 * Every deflate parameter that decides the bytes, spelt out rather than left to the library's defaults.
 * pako's default hash (not legacyHash) gives the bytes Node's zlib gives on Linux, so switching changed none there.
 */
const DEFLATE_OPTIONS = { level: 9, windowBits: 15, memLevel: 8, strategy: Z_DEFAULT_STRATEGY, legacyHash: false } as const;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

/** CRC-32 as gzip's trailer needs it (IEEE polynomial, reflected). */
function crc32(data: Uint8Array): number {
    let crc = 0xffffffff;
    for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
}

/** One gzip member: the fixed header, pako's raw deflate, then CRC-32 and length (mod 2^32), little-endian. */
export function deterministicGzip(data: Uint8Array): Buffer {
    const body = deflateRaw(data, DEFLATE_OPTIONS);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(data), 0);
    trailer.writeUInt32LE(data.length >>> 0, 4);
    return Buffer.concat([Buffer.from(HEADER), body, trailer]);
}

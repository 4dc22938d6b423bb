/**
 * Freezes a value and everything it holds, so that callers sharing one parsed or rendered result cannot
 * change what the others read. Buffers and typed arrays cannot be frozen and are left as they are.
 */
export function deepFreeze<T>(value: T): T {
    if (typeof value !== "object" || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    return value;
}

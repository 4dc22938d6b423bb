/**
 * Jest setup file. The Pulumi SDK records `new Error().stack` for every promise it creates, to print it
 * if the promise leaks. jest raises the stack limit to 100 frames, which made this the costliest function
 * of the specs that run the program. Those records are never shown by a passing test, so under jest they
 * are made without frames; every other error keeps jest's full stack.
 */
jest.mock("@pulumi/pulumi/runtime/debuggable", () => {
    const actual = jest.requireActual("@pulumi/pulumi/runtime/debuggable");
    return {
        ...actual,
        debuggablePromise<T>(promise: Promise<T>, context: unknown): Promise<T> {
            const limit = Error.stackTraceLimit;
            Error.stackTraceLimit = 0;
            try {
                return actual.debuggablePromise(promise, context);
            } finally {
                Error.stackTraceLimit = limit;
            }
        },
    };
});

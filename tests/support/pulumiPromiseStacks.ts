/**
 * Jest setup file. The Pulumi SDK records `new Error().stack` for every promise it creates, to print it
 * if the promise leaks. jest raises the stack limit to 100 frames and source-maps every stack, which made
 * those records a third of the CPU of the specs that run the program. They are never shown by a passing
 * test, so under jest they are recorded without frames; every other error keeps jest's full stack.
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

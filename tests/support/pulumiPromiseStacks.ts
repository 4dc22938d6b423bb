/**
 * Jest setup file. The Pulumi SDK reads `new Error().stack` for every promise it creates, to print it if the
 * promise leaks. Under jest every such stack goes through jest's source-map formatter, frame by frame,
 * which cost a third of the CPU of the specs that run the program. Those stacks are never shown by a
 * passing test, so they get a one-line stand-in; every other error keeps jest's mapped stack.
 */
const PULUMI_PROMISE_DEBUG = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

// An error thrown by a core module belongs to the worker's own realm, where jest installs its formatter.
function workerRealmError(): ErrorConstructor {
    try {
        require("fs").readFileSync("\0");
    } catch (error) {
        return (error as Error).constructor as ErrorConstructor;
    }
    return Error;
}

const WorkerError = workerRealmError();

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown => {
    if (PULUMI_PROMISE_DEBUG.test(frames[0]?.getFileName() ?? "")) return "Error: (Pulumi promise stack, not kept under jest)";
    const format = WorkerError !== Error ? WorkerError.prepareStackTrace : undefined;
    return format ? format(error, frames) : `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
};

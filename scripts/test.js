/**
 * `npm test`: the type check (`npm run typecheck`) and jest at once, each failing the run. Both are
 * CPU-bound, but jest's start and its last worker leave a core idle that the type check fills instead of
 * holding jest up by its 2 s. It runs on one thread: jest's workers have the cores, and one thread spends
 * less CPU in all (2.1 s against 2.5 s). Arguments go to jest (`npm test -- -t stacks`).
 */
const { spawn } = require("child_process");
const path = require("path");

const root = path.join(__dirname, "..");
const { scripts } = require(path.join(root, "package.json"));

function run(command, args, options = {}) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root, stdio: "inherit", ...options });
        child.on("error", (err) => {
            console.error(`npm test: cannot start ${command}: ${err.message}`);
            resolve(1);
        });
        child.on("close", (code) => resolve(code ?? 1));
    });
}

Promise.all([
    run(`${scripts.typecheck} --singleThreaded`, [], { shell: true }),
    run(process.execPath, [require.resolve("jest/bin/jest", { paths: [root] }), ...process.argv.slice(2)]),
]).then(([typecheck, tests]) => {
    if (typecheck !== 0) console.error("npm test: the type check failed (its errors are above)");
    process.exit(typecheck || tests);
});

/**
 * The order jest hands test files to its two workers: longest first, so that the short files fill in at
 * the end. jest's own order comes from the timings it cached on the last run, and on a machine without that
 * cache (CI) from file size, which put the longest entry (units.test.ts, a few lines) last: 44 s instead of
 * 36 s on a 2-core machine. Files not listed run after these.
 */
const Sequencer = require("@jest/test-sequencer").default;

const LONGEST_FIRST = ["units", "bootstrap/sandbox", "program", "bootstrap/database", "bootstrap/cachingSha2"];

const rank = (file) => {
    const i = LONGEST_FIRST.findIndex((name) => file.replace(/\\/g, "/").endsWith(`/tests/${name}.test.ts`));
    return i < 0 ? LONGEST_FIRST.length : i;
};

module.exports = class LongestFirst extends Sequencer {
    sort(tests) {
        return [...tests].sort((a, b) => rank(a.path) - rank(b.path));
    }
};
module.exports.LONGEST_FIRST = LONGEST_FIRST;

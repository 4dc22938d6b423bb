/**
 * Under jest, stands in for the two modules the Pulumi SDK loads at start only to serialize JavaScript
 * functions into cloud resources (TypeScript's compiler and npm's Arborist, with Arborist's own tree).
 * This program serializes no function. Loading them cost each test file that runs the SDK about 0.55 s of
 * CPU. Any use of this stand-in fails the test that made it.
 */
module.exports = new Proxy(
    {},
    {
        get(_, key) {
            // what module interop and promise checks probe for
            if (typeof key === "symbol" || key === "__esModule" || key === "then") return undefined;
            throw new Error(`the Pulumi SDK used ${String(key)} of a module it loads for function serialization, stubbed under jest (jest.config.js)`);
        },
    },
);

// Parses Mermaid diagrams with Mermaid's own parser (the one GitHub runs), in plain Node.
// stdin: a JSON array of diagram texts; stdout: a JSON array of { ok, error } in the same order.
import DOMPurify from "dompurify";

// Without a browser DOMPurify has no DOM to sanitise with; label sanitising plays no part in parsing.
Object.assign(DOMPurify, { addHook() {}, removeHook() {}, removeHooks() {}, sanitize: (text) => String(text) });
const { default: mermaid } = await import("mermaid");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const diagram of JSON.parse(input)) {
    try {
        await mermaid.parse(diagram);
        results.push({ ok: true });
    } catch (err) {
        results.push({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
}
process.stdout.write(JSON.stringify(results) + "\n");

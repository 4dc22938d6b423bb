// Parses the Mermaid diagram on stdin with Mermaid's own parser (the one GitHub runs), in plain Node.
// Exit 0 when it parses; otherwise the parser's message on stderr and exit 1.
import DOMPurify from "dompurify";

// Without a browser DOMPurify has no DOM to sanitise with; label sanitising plays no part in parsing.
Object.assign(DOMPurify, { addHook() {}, removeHook() {}, removeHooks() {}, sanitize: (text) => String(text) });
const { default: mermaid } = await import("mermaid");

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
    const result = await mermaid.parse(text);
    process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
}

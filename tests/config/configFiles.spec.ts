import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile, stackNames } from "../../lib/config/stackFile";
import { readDeclaredKeys } from "../../lib/config/stackConfig";
import { ConfigFileError } from "../../lib/config/configFile";
import { scratchDir } from "../support/scratchDir";

/** Stack and project files a newcomer breaks: the message names the file, line and column, and nothing else. */

const projectDir = () => scratchDir("config-files");

function errorOf(read: () => unknown): ConfigFileError {
    try {
        read();
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigFileError);
        // A RunError: the Pulumi CLI and the render print its message alone, without a stack trace.
        expect(pulumi.RunError.isInstance(err)).toBe(true);
        return err as ConfigFileError;
    }
    throw new Error("expected the file to be refused");
}

function stackFileError(stack: string, text: string): string {
    const dir = projectDir();
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
    return errorOf(() => readStackFile(stack, dir)).message;
}

const DEV = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8");

describe("a stack file that is not valid YAML", () => {
    it("names the file, line and column, and shows the lines around it", () => {
        // One space too many before a key: the slip a copied-and-edited stack file most often has.
        const lines = DEV.split("\n");
        const heap = lines.findIndex((l) => l.includes("jvmHeapSizeMb"));
        lines.splice(heap + 1, 0, "   wso2-apim-ha:nodeCount: 3");
        const message = stackFileError("dev", lines.join("\n"));
        expect(message).toMatch(new RegExp(`^Pulumi\\.dev\\.yaml is not valid YAML:\\nPulumi\\.dev\\.yaml:${heap + 1}:\\d+ \\(line ${heap + 1}, column \\d+\\): `));
        expect(message).toContain(`${heap + 2} |    wso2-apim-ha:nodeCount: 3`);
        expect(message).toMatch(/\n\s+\|\s+\^$/m);
        expect(message).not.toMatch(/\n\s+at /);
    });

    it.each([
        ["a key written twice", "config:\n  wso2-apim-ha:nodeCount: 3\n  wso2-apim-ha:nodeCount: 4\n", 3, 3, /Map keys must be unique/],
        ["a tab as indentation", "config:\n\twso2-apim-ha:nodeCount: 3\n", 2, 1, /Tabs are not allowed as indentation/],
        ["an unterminated quote", 'config:\n  wso2-apim-ha:portalHostName: "api.example.com\n', 3, 1, /Missing closing "quote/],
        ["a list left open", "config:\n  wso2-apim-ha:allowedClientCidrs: [10.0.0.0/8\n  wso2-apim-ha:nodeCount: 3\n", 3, 3, /end with a \]/],
    ])("reports %s at its line and column", (_label, text, line, col, reason) => {
        const message = stackFileError("qa", text);
        expect(message).toContain(`Pulumi.qa.yaml:${line}:${col} (line ${line}, column ${col}): `);
        expect(message).toMatch(reason);
    });

    it("reports a symptom once per position", () => {
        const message = stackFileError("qa", "config:\n  wso2-apim-ha:nodeCount: 3\n   wso2-apim-ha:apimVersion: 4.7.0\n");
        // The parser finds two symptoms of the one slip, both at the end of line 2.
        expect(message.match(/^Pulumi\.qa\.yaml:\d+:\d+/gm)).toEqual(["Pulumi.qa.yaml:2:27"]);
    });
});

describe("a stack file that parses but is not a stack file", () => {
    it("suggests `config` for a misspelt top-level key", () => {
        expect(stackFileError("qa", "confg:\n  wso2-apim-ha:nodeCount: 3\n")).toBe(
            'Pulumi.qa.yaml: unknown top-level key "confg" (did you mean config?); project keys go under `config:`, written `wso2-apim-ha:<key>: <value>`',
        );
    });

    it("refuses a config block that is a list", () => {
        expect(stackFileError("qa", "config:\n  - wso2-apim-ha:nodeCount: 3\n")).toMatch(/^Pulumi\.qa\.yaml: `config:` must be a mapping .* got a list$/);
    });
});

describe("a stack without a stack file", () => {
    it("lists the stacks that have one and how to add it", () => {
        const dir = projectDir();
        for (const stack of ["dev", "prod", "staging"]) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "config: {}\n");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: x\n");
        expect(stackNames(dir)).toEqual(["dev", "prod", "staging"]);
        const message = errorOf(() => readStackFile("stagign", dir)).message;
        expect(message).toBe(
            [
                `No stack file Pulumi.stagign.yaml in ${dir}.`,
                "The stacks here: dev (Pulumi.dev.yaml), prod (Pulumi.prod.yaml), staging (Pulumi.staging.yaml).",
                "Did you mean staging?",
                'To add "stagign", copy one (cp Pulumi.dev.yaml Pulumi.stagign.yaml), adjust it, then `npx pulumi stack init stagign`.',
            ].join("\n"),
        );
    });

    it("says so when the folder has no stack files at all", () => {
        expect(errorOf(() => readStackFile("dev", projectDir())).message).toMatch(/There are no stack files \(Pulumi\.<stack>\.yaml\) in this folder\./);
    });
});

it("reports a syntax error in Pulumi.yaml the same way", () => {
    const dir = projectDir();
    const file = path.join(dir, "Pulumi.yaml");
    fs.writeFileSync(file, "name: wso2-apim-ha\nconfig:\n  nodeCount:\n    type: integer\n    default: 2\n  nodeCount:\n    type: integer\n");
    expect(errorOf(() => readDeclaredKeys(file)).message).toMatch(/^Pulumi\.yaml is not valid YAML:\nPulumi\.yaml:6:3 \(line 6, column 3\): Map keys must be unique/);
});

it("reads Pulumi.yaml's declarations again once the file changes, and hands out one frozen copy until then", () => {
    const file = path.join(projectDir(), "Pulumi.yaml");
    const declaring = (nodeCount: number) => `name: wso2-apim-ha\nconfig:\n  nodeCount:\n    type: integer\n    default: ${nodeCount}\n`;
    fs.writeFileSync(file, declaring(2));
    const first = readDeclaredKeys(file);
    expect(readDeclaredKeys(file)).toBe(first);
    // shared by every caller: no caller can change what the next one reads
    expect(() => {
        (first.nodeCount as { default: unknown }).default = 3;
    }).toThrow(TypeError);
    fs.writeFileSync(file, declaring(3));
    expect(readDeclaredKeys(file).nodeCount.default).toBe(3);
    // a broken file is refused again, not answered from before
    fs.writeFileSync(file, `${declaring(3)}  nodeCount:\n    type: integer\n`);
    expect(errorOf(() => readDeclaredKeys(file)).message).toMatch(/Map keys must be unique/);
});

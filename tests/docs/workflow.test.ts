import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const root = path.join(__dirname, "..", "..");
const workflow = YAML.parse(fs.readFileSync(path.join(root, ".github", "workflows", "preview.yml"), "utf8"));
const stacks = fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();

describe("pull-request workflow", () => {
    it("runs on pull requests and tests with the CI entry point", () => {
        expect(Object.keys(workflow.on)).toContain("pull_request");
        expect(workflow.jobs.test.steps.map((s: any) => s.run).filter(Boolean)).toEqual(["bash .ci/run"]);
    });

    it("previews every stack that has a stack file, commenting on the pull request", () => {
        const preview = workflow.jobs.preview;
        expect(preview.needs).toBe("test");
        expect([...preview.strategy.matrix.stack].sort()).toEqual(stacks);
        const step = preview.steps.find((s: any) => String(s.uses ?? "").startsWith("pulumi/actions@"));
        expect(step.with).toMatchObject({ command: "preview", "comment-on-pr": true, "stack-name": "${{ matrix.stack }}" });
        expect(step.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
    });
});

import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { renderStack, RenderResult } from "../../scripts/render";
import { readmeDiagram } from "../../scripts/readmeArchitecture";
import { architectureFlowchart, architectureDiagram } from "../../lib/review/architectureDiagram";
import { declaredIds } from "../../lib/review/mermaidFlowchart";
import { monthlyCost } from "../../lib/review/monthlyCost";
import { tempRenderDir } from "../program/programModel";
import { renderOnce } from "../support/sharedRender";

/** What every render writes for review: the architecture picture and the monthly cost. */

const ROOT = path.join(__dirname, "..", "..");
let dev: RenderResult;

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    dev = (await renderOnce("dev")).result;
});

afterAll(() => jest.restoreAllMocks());

/** Mermaid's own parser, run in Node once for all diagrams (tests/review/support/mermaidParse.mjs). */
function mermaidParse(diagrams: string[]): { ok: boolean; error?: string }[] {
    const run = spawnSync(process.execPath, [path.join(__dirname, "support", "mermaidParse.mjs")], { input: JSON.stringify(diagrams), encoding: "utf8" });
    if (run.status !== 0) throw new Error(`the Mermaid parser did not run: ${run.stderr}`);
    return JSON.parse(run.stdout);
}

describe("architecture.md", () => {
    it("is a Mermaid flowchart that Mermaid's parser accepts", () => {
        const file = fs.readFileSync(path.join(dev.outDir, "architecture.md"), "utf8");
        const block = /```mermaid\n([\s\S]*?)```/.exec(file)?.[1];
        expect(block).toBe(dev.architecture);
        // The parser is not lenient: a broken label is refused.
        const [devResult, broken] = mermaidParse([dev.architecture, dev.architecture.replace('|"3306"|', '|"3306|')]);
        expect(devResult).toEqual({ ok: true });
        expect(broken).toEqual({ ok: false, error: expect.stringContaining("Parse error") });
    });

    it("joins only declared nodes, with every label quoted", () => {
        const chart = architectureFlowchart(dev.resources);
        const ids = new Set(declaredIds(chart));
        expect(ids.size).toBe(declaredIds(chart).length);
        for (const edge of chart.edges) expect([edge.from, ids.has(edge.from), edge.to, ids.has(edge.to)]).toEqual([edge.from, true, edge.to, true]);
        for (const line of dev.architecture.trimEnd().split("\n").slice(1)) {
            // Lines with a label: a node, a group or a labelled edge.
            if (/^\s*end$/.test(line) || /^\s*\w+ <?-\.?-?-> \w+$/.test(line)) continue;
            expect(line).toMatch(/(\[|\(|\|)"[^"]*"/);
        }
    });

    it("shows the zones' subnets, the host names and ports, each node in its subnet, the database, share and secret", () => {
        const d = dev.architecture;
        for (const zone of ["eu-west-1a", "eu-west-1b"]) expect(d.match(new RegExp(`subgraph subnet_[^\\n]*${zone}`, "g"))).toHaveLength(2);
        expect(d).toContain('-->|"api.dev.apim.example.com :443"| r_wso2_lb_portal');
        expect(d).toContain('-->|"gw.dev.apim.example.com :443"| r_wso2_lb_gateway');
        expect(d).toContain('-->|"gw.dev.apim.example.com :443 + Upgrade: websocket"| r_wso2_lb_websocket');
        expect(d).toContain('r_wso2_lb_portal -->|"9443"| r_wso2_apim_2_instance');
        expect(d).toMatch(/subgraph subnet_wso2_network_private_1\[[^\n]*\n\s+r_wso2_apim_1_instance\["apim-1<br\/>t3\.large"\]/);
        expect(d).toContain('r_wso2_db_instance[("RDS mysql 8.4<br/>db.t4g.medium, single-AZ")]');
        expect(d).toContain("EFS share, encrypted");
        expect(d).toContain('r_wso2_apim_1_instance -.->|"reads (IAM)"| r_wso2_secrets_secret');
        expect(d).toContain('r_wso2_apim_1_instance <-.->|"9711, 8672"| r_wso2_apim_2_instance');
    });

    it("draws who may talk to whom from the recorded security-group rules, not from a second copy", () => {
        const withoutDbRule = dev.resources.filter((r) => r.name !== "wso2-sg-database-in-3306-node");
        expect(dev.architecture).toContain('r_wso2_apim_1_instance -.->|"3306"| r_wso2_db_instance');
        expect(architectureDiagram(withoutDbRule)).not.toContain("r_wso2_db_instance -");
        expect(architectureDiagram(withoutDbRule)).not.toMatch(/-\.->\|"3306"\|/);
    });

    it("shows the bucket the nodes fetch their boot script from, read through their role, and not the access-log bucket", () => {
        const d = dev.architecture;
        expect(d).toContain('r_wso2_boot_bucket("S3 bucket, boot script<br/>its own KMS key")');
        for (const n of [1, 2]) expect(d).toContain(`r_wso2_apim_${n}_instance -.->|"reads (IAM)"| r_wso2_boot_bucket`);
        // the edge follows the role's policy: without the s3:GetObject statement there is none
        const withoutRead = dev.resources.map((r) => {
            if (r.name !== "wso2-node-identity-policy") return r;
            const policy = JSON.parse(r.inputs.policy);
            policy.Statement = policy.Statement.filter((s: { Action: string[] }) => !s.Action.includes("s3:GetObject"));
            return { ...r, inputs: { ...r.inputs, policy: JSON.stringify(policy) } };
        });
        expect(architectureDiagram(withoutRead)).toContain("r_wso2_boot_bucket(");
        expect(architectureDiagram(withoutRead)).not.toContain("| r_wso2_boot_bucket");
        // a bucket only AWS services write into (prod's access logs) is not one the nodes read
        const logs = { type: "aws:s3/bucket:Bucket", name: "wso2-lb-logs", parent: null, inputs: {}, outputs: { bucket: "wso2-lb-logs-1", arn: "arn:aws:s3:::wso2-lb-logs-1" } };
        expect(architectureDiagram([...dev.resources, logs])).toBe(d);
    });

    it("places each node in the subnet its instance names", () => {
        const [privateOne] = dev.resources.filter((r) => r.name === "wso2-network-private-1");
        const moved = dev.resources.map((r) => (r.name === "wso2-apim-2-instance" ? { ...r, inputs: { ...r.inputs, subnetId: privateOne.id } } : r));
        expect(architectureDiagram(moved)).toMatch(
            /subgraph subnet_wso2_network_private_1\[[^\n]*\n\s+r_wso2_apim_1_instance\[[^\n]*\n\s+r_wso2_apim_2_instance\[/,
        );
    });

    it("is the picture README.md embeds (npm run render:readme refreshes it)", () => {
        const embedded = readmeDiagram(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        expect(embedded).toBe(dev.architecture);
    });
});

describe("cost.md and cost.json", () => {
    it("price what the render holds in the stack's region", () => {
        const json = JSON.parse(fs.readFileSync(path.join(dev.outDir, "cost.json"), "utf8"));
        expect(json).toEqual(JSON.parse(JSON.stringify(monthlyCost(dev.resources, "eu-west-1"))));
        expect(json.region).toBe("eu-west-1");
        const md = fs.readFileSync(path.join(dev.outDir, "cost.md"), "utf8");
        expect(md).toContain(`| EC2 t3.large | 1,460 h | $0.0912 | $133.15 |`);
        expect(md).toContain("| RDS MySQL db.t4g.medium single-AZ | 730 h |");
        expect(md).toMatch(/^# Monthly cost: dev \(eu-west-1\)/);
    });

});

describe("the render folder", () => {
    it("is not emptied when it holds something other than a render", async () => {
        const dir = tempRenderDir("not-a-render");
        fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
        await expect(renderStack("dev", { outDir: dir })).rejects.toThrow(/refusing to empty .*holds no previous render/);
        expect(fs.readdirSync(dir)).toEqual(["notes.txt"]);
    });
});

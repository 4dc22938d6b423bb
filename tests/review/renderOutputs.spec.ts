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
import { withGatewayFleet } from "./support/gatewayFleet";
import { renderedGateway } from "../../scripts/render";
import { planCluster } from "../../lib/plan/clusterPlan";
import { sampleConfig } from "../support/sampleConfig";
import { sha256Hex } from "../../lib/node/bootScript";

/** What every render writes for review: the architecture picture and the monthly cost. */

const ROOT = path.join(__dirname, "..", "..");
let dev: RenderResult;
let prod: RenderResult;

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    dev = (await renderOnce("dev")).result;
    prod = (await renderOnce("prod")).result;
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
        // one parser run for every picture: it takes most of a second to start
        const [devResult, broken, prodResult] = mermaidParse([dev.architecture, dev.architecture.replace('|"3306"|', '|"3306|'), prod.architecture]);
        expect(devResult).toEqual({ ok: true });
        // prod's picture has the Universal Gateways' group
        expect(prodResult).toEqual({ ok: true });
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

describe("the Universal Gateways in the picture (a fleet laid over the dev render)", () => {
    let picture: string;
    beforeAll(() => {
        // tests/review/support/gatewayFleet.ts: the fleet as components/gatewayFleet.ts declares it
        picture = architectureDiagram(withGatewayFleet(dev.resources));
    });

    it("draws the Auto Scaling group in the private subnets with its instance type and size range", () => {
        expect(picture).toMatch(/subgraph private_tier\["private subnets"\]\n(?:\s+subgraph [^\n]*\n(?:\s+r_[^\n]*\n)*\s+end\n)*\s+r_wso2_gateways_group\["Universal Gateways<br\/>c6i\.large × 2–6"\]/);
        expect(architectureDiagram(withGatewayFleet(dev.resources, { minSize: 3, maxSize: 3, instanceType: "c6i.xlarge" }))).toContain('r_wso2_gateways_group["Universal Gateways<br/>c6i.xlarge × 3"]');
    });

    it("routes the gateway and WebSocket target groups to the group on their ports, and the portal group only to the nodes", () => {
        expect(picture).toContain('r_wso2_lb_gateway -->|"8243"| r_wso2_gateways_group');
        expect(picture).toContain('r_wso2_lb_websocket -->|"8099"| r_wso2_gateways_group');
        expect(picture).not.toContain("r_wso2_lb_portal -->|\"9443\"| r_wso2_gateways_group");
    });

    it("draws the gateways' security-group arrows and what their role may read, from the recorded rules and policy", () => {
        // the load balancer's routed ports are not repeated; its health check on 9443 is
        expect(picture).toContain('r_wso2_lb_alb -.->|"9443"| r_wso2_gateways_group');
        expect(picture).not.toMatch(/r_wso2_lb_alb -\.->\|"[^"]*8243[^"]*"\| r_wso2_gateways_group/);
        for (const node of [1, 2]) expect(picture).toContain(`r_wso2_gateways_group -.->|"9443, 8672"| r_wso2_apim_${node}_instance`);
        expect(picture).toContain('r_wso2_gateways_group -.->|"443"| cidr_0_0_0_0_0');
        expect(picture).toContain('r_wso2_gateways_group -.->|"reads (IAM)"| r_wso2_secrets_secret');
        expect(picture).toContain('r_wso2_gateways_group -.->|"reads (IAM)"| r_wso2_boot_bucket');
        // without the rule admitting the gateways, no arrow to the nodes
        const withoutRule = withGatewayFleet(dev.resources).filter((r) => !(r.inputs.fromPort === 8672 && r.inputs.referencedSecurityGroupId === "sg-gateway000000000"));
        expect(architectureDiagram(withoutRule)).toContain('r_wso2_gateways_group -.->|"9443"| r_wso2_apim_1_instance');
    });

    it("draws prod's own fleet: its type and size range from the stack file, behind the gateway host's target groups only", () => {
        const p = prod.architecture;
        expect(p).toContain('r_wso2_gateways_group["Universal Gateways<br/>c6i.large × 2–6"]');
        expect(p).toContain('r_wso2_lb_gateway -->|"8243"| r_wso2_gateways_group');
        expect(p).toContain('r_wso2_lb_websocket -->|"8099"| r_wso2_gateways_group');
        expect(p).not.toMatch(/r_wso2_lb_(gateway|websocket) -->\|"\d+"\| r_wso2_apim_/);
        expect(p).toMatch(/r_wso2_gateways_group -\.->\|"9443[^"]*"\| r_wso2_apim_1_instance/);
        expect(p).toContain('r_wso2_gateways_group -.->|"reads (IAM)"| r_wso2_secrets_gateway_secret');
        expect(p).not.toContain('r_wso2_gateways_group -.->|"reads (IAM)"| r_wso2_secrets_secret\n');
    });

    it("leaves the picture of a stack without gateways as it was", () => {
        expect(architectureDiagram(dev.resources)).toBe(dev.architecture);
        expect(dev.architecture).not.toContain("Universal Gateways");
    });
});

describe("the gateways' files in a render", () => {
    const withGateways = planCluster(sampleConfig({ gatewaysEnabled: true, gatewayDistributionSha256: "c".repeat(64) }));

    it("decode the fleet's launch template as the nodes' instances are decoded, with the boot script the loader fetches", () => {
        const resources = withGatewayFleet(dev.resources);
        const gateway = renderedGateway(resources, withGateways)!;
        const template = resources.find((r) => r.name === "wso2-gateways-template")!;
        expect(gateway.launchTemplate).toBe("wso2-gateways-template");
        expect(gateway.userData.equals(Buffer.from(template.inputs.userData, "base64"))).toBe(true);
        expect(gateway.cloudConfig.startsWith("#cloud-config\n")).toBe(true);
        expect(gateway.files.map((f) => f.path)).toEqual(["/etc/wso2am/gateway.env", "/etc/wso2am/boot-loader.env", "/usr/local/sbin/wso2am-bootstrap"]);
        const script = gateway.files.find((f) => f.path === "/usr/local/sbin/wso2am-bootstrap")!;
        const object = dev.resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!;
        expect(script).toMatchObject({ permissions: "0755", owner: "root:root" });
        expect(sha256Hex(script.content)).toBe(sha256Hex(object.inputs.content));
    });

    it("are none for a stack without gateways, and refused where the loader would refuse the script", () => {
        expect(renderedGateway(dev.resources, planCluster(sampleConfig()))).toBeUndefined();
        const tampered = withGatewayFleet(dev.resources).map((r) =>
            r.type === "aws:s3/bucketObjectv2:BucketObjectv2" ? { ...r, inputs: { ...r.inputs, content: `${r.inputs.content}#\n` } } : r,
        );
        expect(() => renderedGateway(tampered, withGateways)).toThrow(/^gateway: the boot loader would refuse s3:\/\//);
        expect(() => renderedGateway(dev.resources, withGateways)).toThrow(/expected one launch template in the gateway fleet, found 0/);
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
        expect(md).not.toContain("Auto Scaling");
    });

    it("price prod's gateways from the group's minimum to its maximum; the total counts the minimum and states the maximum", () => {
        const md = fs.readFileSync(path.join(prod.outDir, "cost.md"), "utf8");
        expect(md).toContain("| EC2 c6i.large, Universal Gateways | 1,460–4,380 h | $0.096 | $140.16–$420.48 |");
        expect(md).toContain("| EBS gp3 root volumes, Universal Gateways | 40–120 GB-month | $0.088 | $3.52–$10.56 |");
        expect(prod.cost.maxTotalUsd! - prod.cost.totalUsd).toBeCloseTo(280.32 + 7.04 + 8.4, 6);
        expect(md).toContain(`(up to $${prod.cost.maxTotalUsd!.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} with the Auto Scaling groups at their maximum)`);
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

import { diffRenders } from "../../lib/review/renderDiff";
import { reviewMarkdown } from "../../lib/review/reviewMarkdown";
import { monthlyCost } from "../../lib/review/monthlyCost";
import * as fs from "fs";
import * as path from "path";
import { cloudConfigOutline, readRenderFolder, RenderSnapshot, CLOUD_CONFIG_OUTLINE } from "../../lib/review/renderSnapshot";
import type { RenderedResource } from "../../lib/review/renderedResource";
import { gatewayGroupArgs, gatewayLaunchTemplateArgs } from "../../lib/aws/gatewayFleet";
import { scratchDir } from "../support/scratchDir";

/** Small in-memory renders: what a reviewer needs to see when one thing changes. */

const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "offline-secret-db-password" };

const resource = (type: string, name: string, inputs: Record<string, unknown>, parent: string | null = "wso2"): RenderedResource => ({ type, name, parent, inputs });
const instance = (n: number, inputs: Record<string, unknown> = {}) =>
    resource("aws:ec2/instance:Instance", `wso2-apim-${n}-instance`, {
        ami: "ami-1",
        instanceType: "t3.large",
        subnetId: `subnet-${n}`,
        userDataBase64: "H4sIAAAA-base",
        userDataReplaceOnChange: true,
        tags: { "wso2:node": `apim-${n}` },
        ...inputs,
    }, `wso2-apim-${n}`);
const database = (inputs: Record<string, unknown> = {}) =>
    resource("aws:rds/instance:Instance", "wso2-db-instance", { instanceClass: "db.t4g.medium", multiAz: false, password: SECRET, ...inputs });
const nodeFiles = (n: number, heap = 2048) =>
    new Map([
        ["/etc/wso2am/node.env", `NODE_NAME="apim-${n}"\nJVM_HEAP_MB="${heap}"\nDB_HOST="db.apim.internal"\n`],
        ["/etc/wso2am/deployment.toml", `[server]\nhostname = "apim-${n}.apim.internal"\n`],
    ]);
const snapshot = (resources: RenderedResource[], nodes: [string, Map<string, string>][]): RenderSnapshot => ({ resources, nodes: new Map(nodes) });

const base = snapshot([instance(1), instance(2), database()], [["1", nodeFiles(1)], ["2", nodeFiles(2)]]);

describe("the render diff", () => {
    it("finds nothing to do when the renders are the same", () => {
        const diff = diffRenders(base, base);
        expect(diff).toMatchObject({ added: [], removed: [], changed: [], nodes: [], unchangedCount: 3 });
        const text = reviewMarkdown({ stack: "dev", baseLabel: "main", diff, headCost: monthlyCost(base.resources, "eu-west-1") });
        expect(text).toContain("No changes");
    });

    it("shows a heap change as both nodes replaced, naming the changed file, with its unified diff", () => {
        const head = snapshot(
            [instance(1, { userDataBase64: "H4sIAAAA-new1" }), instance(2, { userDataBase64: "H4sIAAAA-new2" }), database()],
            [["1", nodeFiles(1, 4096)], ["2", nodeFiles(2, 4096)]],
        );
        const diff = diffRenders(base, head);
        expect(diff.nodes.map((n) => [n.label, n.action])).toEqual([["apim-1", "replace"], ["apim-2", "replace"]]);
        expect(diff.nodes[0].reasons).toEqual(["the user data changed: /etc/wso2am/node.env"]);
        expect(diff.nodes[0].files).toEqual([{ path: "/etc/wso2am/node.env", status: "changed", patch: expect.any(String) }]);
        const patch = diff.nodes[0].files[0].patch!;
        expect(patch).toMatch(/^--- \/etc\/wso2am\/node\.env\tbase\n\+\+\+ \/etc\/wso2am\/node\.env\tchange\n@@ /);
        expect(patch).toContain('\n-JVM_HEAP_MB="2048"\n+JVM_HEAP_MB="4096"\n');

        const text = reviewMarkdown({ stack: "dev", baseLabel: "main", diff, headCost: monthlyCost(head.resources, "eu-west-1") });
        expect(text).toContain("**0 to add, 2 to change, 0 to remove** (1 unchanged); 2 nodes replaced.");
        expect(text).toContain("- **apim-1** (`wso2-apim-1-instance`) is **replaced**: the user data changed: /etc/wso2am/node.env.");
        expect(text).toContain("```diff\n--- /etc/wso2am/node.env");
    });

    it("replaces a node for a new AMI or subnet, and resizes it in place for a new instance type", () => {
        const head = snapshot([instance(1, { ami: "ami-2" }), instance(2, { instanceType: "m6i.xlarge" }), database()], [["1", nodeFiles(1)], ["2", nodeFiles(2)]]);
        const [first, second] = diffRenders(base, head).nodes;
        expect(first).toMatchObject({ label: "apim-1", action: "replace", reasons: ["the AMI changed"], files: [] });
        expect(second).toMatchObject({ label: "apim-2", action: "update", reasons: ["the instance type changed (stop, resize, start)"] });
    });

    it("stops and starts rather than replaces when user data changes without userDataReplaceOnChange", () => {
        const old = snapshot([instance(1, { userDataReplaceOnChange: false })], [["1", nodeFiles(1)]]);
        const head = snapshot([instance(1, { userDataReplaceOnChange: false, userDataBase64: "H4sIAAAA-new" })], [["1", nodeFiles(1, 4096)]]);
        expect(diffRenders(old, head).nodes[0]).toMatchObject({ action: "update", reasons: ["the user data changed: /etc/wso2am/node.env (applied by stop and start)"] });
    });

    it("lists a third node as created with its files, without printing them whole", () => {
        const head = snapshot(
            [instance(1), instance(2), instance(3), resource("aws:route53/record:Record", "wso2-apim-3-dns", { name: "apim-3.apim.internal" }, "wso2-apim-3"), database()],
            [["1", nodeFiles(1)], ["2", nodeFiles(2)], ["3", nodeFiles(3)]],
        );
        const diff = diffRenders(base, head);
        expect(diff.added.map((r) => r.name)).toEqual(["wso2-apim-3-instance", "wso2-apim-3-dns"]);
        expect(diff.nodes).toEqual([
            {
                node: "3",
                label: "apim-3",
                instance: "wso2-apim-3-instance",
                action: "create",
                reasons: ["a new node"],
                files: [
                    { path: "/etc/wso2am/node.env", status: "added" },
                    { path: "/etc/wso2am/deployment.toml", status: "added" },
                ],
            },
        ]);
        const removedAgain = diffRenders(head, base);
        expect(removedAgain.removed.map((r) => r.name)).toEqual(["wso2-apim-3-instance", "wso2-apim-3-dns"]);
        expect(removedAgain.nodes[0]).toMatchObject({ label: "apim-3", action: "delete" });
    });

    it("shows changed inputs leaf by leaf, inside JSON policies too, and never a secret", () => {
        const policy = (actions: string[]) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: ["arn:x"] }] });
        const old = snapshot([database(), resource("aws:iam/rolePolicy:RolePolicy", "node-policy", { policy: policy(["kms:Decrypt"]) })], []);
        const head = snapshot(
            [
                database({ multiAz: true, password: { ...SECRET, value: "offline-secret-rotated" } }),
                resource("aws:iam/rolePolicy:RolePolicy", "node-policy", { policy: policy(["kms:Decrypt", "ssm:GetParameter"]) }),
            ],
            [],
        );
        const diff = diffRenders(old, head);
        expect(diff.changed).toEqual([
            {
                type: "aws:rds/instance:Instance",
                name: "wso2-db-instance",
                changes: [
                    { path: "multiAz", before: "false", after: "true" },
                    { path: "password", before: "[secret]", after: "[secret]" },
                ],
            },
            {
                type: "aws:iam/rolePolicy:RolePolicy",
                name: "node-policy",
                changes: [{ path: "policy (JSON).Statement[0].Action[1]", before: undefined, after: '"ssm:GetParameter"' }],
            },
        ]);
        const text = reviewMarkdown({ stack: "dev", baseLabel: "main", diff, headCost: monthlyCost(head.resources, "eu-west-1") });
        expect(text).not.toContain("offline-secret-");
        expect(text).toContain("| `policy (JSON).Statement[0].Action[1]` | — | `\"ssm:GetParameter\"` |");
    });

    it("masks offline secrets that reach a node file's diff", () => {
        const head = snapshot([instance(1, { userDataBase64: "H4sIAAAA-new" })], [["1", new Map([["/etc/wso2am/node.env", "DB_PASSWORD=offline-secret-db-password\n"]])]]);
        const patch = diffRenders(snapshot([instance(1)], [["1", new Map([["/etc/wso2am/node.env", ""]])]]), head).nodes[0].files[0].patch!;
        expect(patch).toContain("+DB_PASSWORD=[secret]");
        expect(patch).not.toContain("offline-secret-");
    });

    it("keeps the comment under GitHub's size limit by listing the file diffs that do not fit", () => {
        // Every tenth line of a 3,000-line script changed.
        const big = (n: number) => new Map([["/usr/local/sbin/wso2am-bootstrap", Array.from({ length: 3000 }, (_, i) => `echo line ${i} ${i % 10 === 0 ? n : ""}`).join("\n")]]);
        const old = snapshot([instance(1)], [["1", big(1)]]);
        const head = snapshot([instance(1, { userDataBase64: "H4sIAAAA-new" })], [["1", big(2)]]);
        const text = reviewMarkdown({ stack: "dev", baseLabel: "main", diff: diffRenders(old, head), headCost: monthlyCost(head.resources, "eu-west-1"), maxChars: 20_000 });
        expect(text.length).toBeLessThanOrEqual(20_000);
        expect(text).toContain("not shown: `apim-1:/usr/local/sbin/wso2am-bootstrap`");
        expect(text).toContain("### Monthly cost");
    });
});

it("reports a rewritten file instead of diffing it line by line for seconds", () => {
    const script = (n: number) => new Map([["/usr/local/sbin/wso2am-bootstrap", Array.from({ length: 20000 }, (_, i) => `echo ${n} line ${i}`).join("\n") + "\n"]]);
    const started = Date.now();
    const [file] = diffRenders(snapshot([instance(1)], [["1", script(1)]]), snapshot([instance(1, { userDataBase64: "new" })], [["1", script(2)]])).nodes[0].files;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(file.patch).toContain("(rewritten: 20000 → 20000 lines, too different to diff line by line)");
});

it("still diffs a long file line by line when a few hundred of its lines changed", () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `echo line ${i}`);
    const edited = lines.map((l, i) => (i % 50 === 0 ? `echo changed ${i}` : l));
    const files = (text: string[]) => new Map([["/usr/local/sbin/wso2am-bootstrap", text.join("\n") + "\n"]]);
    const [file] = diffRenders(snapshot([instance(1)], [["1", files(lines)]]), snapshot([instance(1, { userDataBase64: "new" })], [["1", files(edited)]])).nodes[0].files;
    expect(file.patch).not.toContain("rewritten");
    expect(file.patch).toContain("-echo line 19950\n+echo changed 19950\n");
    expect(file.patch?.match(/^\+echo changed /gm)).toHaveLength(400);
});

describe("the cloud-config outline", () => {
    it("keeps everything but the written files' contents, which are compared file by file", () => {
        const outline = cloudConfigOutline("#cloud-config\nwrite_files:\n  - path: /etc/a\n    content: |\n      secret-free text\nruncmd:\n  - [/usr/local/sbin/boot]\n");
        expect(outline).toBe("#cloud-config\nwrite_files:\n  - path: /etc/a\n    content: (compared as /etc/a)\nruncmd:\n  - [ /usr/local/sbin/boot ]\n");
    });
});

describe("a new boot script in the render diff", () => {
    const SCRIPT_PATH = "/usr/local/sbin/wso2am-bootstrap";
    const withScript = (text: string, sha: string): RenderSnapshot => {
        const files = (n: number) => new Map([...nodeFiles(n), ["/etc/wso2am/boot-loader.env", `BOOT_SCRIPT_SHA256="${sha}"\n`], [SCRIPT_PATH, text]]);
        const object = resource("aws:s3/bucketObjectv2:BucketObjectv2", "wso2-boot-script", { bucket: "wso2-boot-bucket-1", key: `boot/${sha}/wso2am-bootstrap`, content: text }, "wso2-boot");
        return snapshot([instance(1, { userDataBase64: `H4sIAAAA-${sha}` }), object], [["1", files(1)]]);
    };

    it("replaces the node naming the loader's env file and the script, diffs the script as a file, and shows the object's content by its size only", () => {
        const script = "#!/bin/bash\nstep one\n" + "# filler\n".repeat(50);
        const diff = diffRenders(withScript(script, "a".repeat(64)), withScript(script.replace("step one", "step two"), "b".repeat(64)));
        const [node] = diff.nodes;
        expect(node.action).toBe("replace");
        expect(node.reasons[0]).toBe(`the user data changed: /etc/wso2am/boot-loader.env, ${SCRIPT_PATH}`);
        expect(node.files.find((f) => f.path === SCRIPT_PATH)!.patch).toContain("-step one\n+step two");
        const object = diff.changed.find((c) => c.name === "wso2-boot-script")!;
        expect(object.changes.find((c) => c.path === "content")).toEqual({
            path: "content",
            before: `(${script.length} characters; see the node and gateway files)`,
            after: `(${script.length} characters; see the node and gateway files)`,
        });
        expect(object.changes.map((c) => c.path)).toContain("key");
    });
});

describe("the gateways in the render diff", () => {
    const fleetComponent = resource("wso2-apim-ha:gatewayFleet:GatewayFleet", "wso2-gateways", {}, "wso2");
    const template = (inputs: Record<string, unknown> = {}) => ({
        ...resource("aws:ec2/launchTemplate:LaunchTemplate", "wso2-gateways-template", {
            ...gatewayLaunchTemplateArgs<string>({
                imageId: "ami-1", instanceType: "c6i.large", instanceProfileName: "p", securityGroupId: "sg-1", kmsKeyArn: "k", userDataBase64: "H4sIAAAA-base", tags: {},
            }),
            ...inputs,
        }, "wso2-gateways"),
        id: "lt-1",
    });
    const group = (inputs: Record<string, unknown> = {}) =>
        resource("aws:autoscaling/group:Group", "wso2-gateways-group", {
            ...gatewayGroupArgs<string>({ subnetIds: ["subnet-1", "subnet-2"], minSize: 2, maxSize: 6, targetGroupArns: ["tg"], launchTemplateId: "lt-1", launchTemplateVersion: "1", tags: {} }),
            ...inputs,
        }, "wso2-gateways");
    const gatewayFiles = (heap = 2048) => new Map([["/etc/wso2am/gateway.env", `NODE_NAME="gateway"\nJVM_HEAP_MB="${heap}"\n`], [CLOUD_CONFIG_OUTLINE, "#cloud-config\n"]]);
    const withFleet = (templateInputs: Record<string, unknown> = {}, groupInputs: Record<string, unknown> = {}, heap = 2048): RenderSnapshot => ({
        ...base,
        resources: [...base.resources, fleetComponent, template(templateInputs), group(groupInputs)],
        gateway: gatewayFiles(heap),
    });

    it("rolls the gateways (instance refresh) for new user data, naming and diffing the changed gateway files", () => {
        const diff = diffRenders(withFleet(), withFleet({ userData: "H4sIAAAA-new" }, {}, 4096));
        expect(diff.nodes).toEqual([]);
        expect(diff.groups).toEqual([
            {
                label: "Universal Gateways",
                noun: "gateways",
                group: "wso2-gateways-group",
                template: "wso2-gateways-template",
                action: "roll",
                reasons: ["the user data changed: /etc/wso2am/gateway.env"],
                files: [{ path: "/etc/wso2am/gateway.env", status: "changed", patch: expect.stringContaining('-JVM_HEAP_MB="2048"\n+JVM_HEAP_MB="4096"\n') }],
            },
        ]);
        const text = reviewMarkdown({ stack: "prod", baseLabel: "main", diff, headCost: monthlyCost(withFleet().resources, "eu-west-1") });
        expect(text).toContain("**0 to add, 1 to change, 0 to remove** (5 unchanged); 0 nodes replaced; gateways roll (instance refresh).");
        expect(text).toContain("### Gateways\n\n- **Universal Gateways** (`wso2-gateways-group`, template `wso2-gateways-template`): gateways roll (instance refresh): the user data changed: /etc/wso2am/gateway.env.");
        expect(text).toContain("### Gateway files\n\n<details><summary>Universal Gateways: 1 file changed</summary>\n\n```diff\n--- /etc/wso2am/gateway.env");
        // the template's user data shows by its size, as the nodes' does
        expect(text).toMatch(/\| `userData` \| `\(\d+ characters; see the node and gateway files\)` \|/);
    });

    it("rolls them for a new instance type or image, and changes the group in place for a new size", () => {
        const [typeChange] = diffRenders(withFleet(), withFleet({ instanceType: "c6i.xlarge", imageId: "ami-2" })).groups;
        expect(typeChange).toMatchObject({ action: "roll", reasons: ["the image changed", "the instance type changed"], files: [] });
        const [resize] = diffRenders(withFleet(), withFleet({}, { maxSize: 8 })).groups;
        expect(resize).toMatchObject({ action: "update", reasons: ["the group's maxSize changed (in place)"] });
        expect(diffRenders(withFleet(), withFleet()).groups).toEqual([]);
    });

    it("says so when a new template reaches only new instances (no instance refresh)", () => {
        const [change] = diffRenders(withFleet({}, { instanceRefresh: undefined }), withFleet({ userData: "H4sIAAAA-new" }, { instanceRefresh: undefined }, 4096)).groups;
        expect(change).toMatchObject({ action: "update", reasons: ["the user data changed: /etc/wso2am/gateway.env", "running instances keep the old template until replaced (the group has no instance refresh)"] });
    });

    it("shows gateways added to a stack as created, with their files listed, and removed again as deleted", () => {
        const diff = diffRenders(base, withFleet());
        expect(diff.added.map((r) => r.name)).toEqual(["wso2-gateways", "wso2-gateways-template", "wso2-gateways-group"]);
        expect(diff.groups).toEqual([
            expect.objectContaining({
                action: "create",
                reasons: ["c6i.large × 2–6 in 2 subnets"],
                files: [{ path: "/etc/wso2am/gateway.env", status: "added" }, { path: CLOUD_CONFIG_OUTLINE, status: "added" }],
            }),
        ]);
        const text = reviewMarkdown({ stack: "prod", baseLabel: "main", diff, headCost: monthlyCost(withFleet().resources, "eu-west-1") });
        expect(text).toContain("- **Universal Gateways** (`wso2-gateways-group`, template `wso2-gateways-template`): gateways created: c6i.large × 2–6 in 2 subnets.");
        expect(text).toContain("| + | `aws:autoscaling/group:Group` | `wso2-gateways-group` |");
        expect(text).toContain("<summary>Universal Gateways: 2 files new</summary>");
        expect(diffRenders(withFleet(), base).groups).toEqual([expect.objectContaining({ action: "delete", files: [expect.objectContaining({ status: "removed" }), expect.anything()] })]);
    });

    it("reads the gateways' folder of a render, laid out as a node's, and none where the render has none", () => {
        const dir = scratchDir("render-gateway");
        fs.writeFileSync(path.join(dir, "resources.json"), "[]");
        fs.mkdirSync(path.join(dir, "gateway", "files", "etc", "wso2am"), { recursive: true });
        fs.writeFileSync(path.join(dir, "gateway", "files", "etc", "wso2am", "gateway.env"), 'NODE_NAME="gateway"\n');
        fs.writeFileSync(path.join(dir, "gateway", "cloud-config.yaml"), "#cloud-config\nwrite_files:\n  - path: /etc/wso2am/gateway.env\n    content: |\n      NODE_NAME=gateway\n");
        const snapshot = readRenderFolder(dir);
        expect([...snapshot.gateway!.keys()]).toEqual(["/etc/wso2am/gateway.env", CLOUD_CONFIG_OUTLINE]);
        expect(snapshot.gateway!.get(CLOUD_CONFIG_OUTLINE)).toContain("content: (compared as /etc/wso2am/gateway.env)");
        fs.rmSync(path.join(dir, "gateway"), { recursive: true });
        expect(readRenderFolder(dir).gateway).toBeUndefined();
    });
});

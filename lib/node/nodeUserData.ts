import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfig } from "../config/stackConfig";
import { ClusterPlan, NodePlan } from "../plan/clusterPlan";
import { renderDeploymentToml } from "./deploymentToml";
import { NodeCloudFacts, bootLoaderEnvironment, nodeEnvironment, renderNodeEnvFile } from "./nodeEnvironment";
import { CLOUDWATCH_AGENT_CONFIG_PATH, cloudWatchAgentConfig } from "./logShipping";
import { deterministicGzip } from "./deterministicGzip";

export { NodeCloudFacts } from "./nodeEnvironment";

/** EC2 accepts at most 16 KB of user data, counted before base64. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;
/**
 * What this project allows itself, of those 16 KB: the rest is room for launch templates that will carry
 * the same loader. The boot script is not in user data, so this holds however the script grows.
 */
export const USER_DATA_BUDGET_BYTES = 12 * 1024;

const TEMPLATES = path.join(__dirname, "..", "..", "config-templates");

export interface RenderedUserData {
    /** What goes into aws.ec2.Instance `userDataBase64`: the gzip-compressed cloud-config. */
    readonly userDataBase64: string;
    /** The cloud-config document itself, for review and validation. */
    readonly cloudConfig: string;
}

interface WriteFile {
    path: string;
    permissions: string;
    owner: string;
    content: string;
}

/** The files a node receives, by their path on the node. */
export function nodeFiles(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): WriteFile[] {
    const template = (name: string) => fs.readFileSync(path.join(TEMPLATES, name), "utf8");
    return [
        { path: plan.paths.nodeEnvFile, permissions: "0644", owner: "root:root", content: renderNodeEnvFile(nodeEnvironment(config, plan, node, facts)) },
        { path: plan.paths.deploymentToml, permissions: "0644", owner: "root:root", content: renderDeploymentToml(config, plan, node) },
        // The boot script itself is too large for user data: the loader fetches it (lib/node/bootScript.ts).
        { path: plan.paths.bootLoaderEnvFile, permissions: "0644", owner: "root:root", content: renderNodeEnvFile(bootLoaderEnvironment(plan, facts)) },
        { path: plan.paths.bootLoader, permissions: "0755", owner: "root:root", content: template("boot-loader.sh") },
        { path: plan.paths.systemdUnit, permissions: "0644", owner: "root:root", content: template("wso2am.service") },
        {
            path: CLOUDWATCH_AGENT_CONFIG_PATH,
            permissions: "0644",
            owner: "root:root",
            content: JSON.stringify(cloudWatchAgentConfig(plan, node, facts.logGroupName), null, 2) + "\n",
        },
    ];
}

/** The cloud-config document: write the node's files, then run the boot loader (which runs the boot script) once. */
export function renderCloudConfig(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): string {
    const document = {
        write_files: nodeFiles(config, plan, node, facts),
        // The boot script appends the portal host to /etc/hosts; cloud-init must not rewrite the file.
        manage_etc_hosts: false,
        // Mounting and packages are the boot script's job: cloud-init's own mounts run before packages
        // are installed, and its failures do not stop the boot.
        runcmd: [[plan.paths.bootLoader, plan.paths.bootLoaderEnvFile]],
    };
    return "#cloud-config\n" + YAML.stringify(document, { lineWidth: 0, blockQuote: "literal" });
}

/**
 * Gzip-compressed, base64-encoded user data for one node. The same bytes on every machine and Node
 * version (see deterministicGzip), so an unchanged configuration never replaces a node.
 */
export function renderNodeUserData(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): RenderedUserData {
    const cloudConfig = renderCloudConfig(config, plan, node, facts);
    const compressed = deterministicGzip(Buffer.from(cloudConfig, "utf8"));
    if (compressed.length > USER_DATA_LIMIT_BYTES) {
        throw new Error(`user data of ${node.name} is ${compressed.length} bytes compressed; EC2 accepts at most ${USER_DATA_LIMIT_BYTES}`);
    }
    return { userDataBase64: compressed.toString("base64"), cloudConfig };
}

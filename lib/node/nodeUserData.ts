import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfig } from "../config/stackConfig";
import { ClusterPlan, NodePlan } from "../plan/clusterPlan";
import { renderDeploymentToml } from "./deploymentToml";
import { CloudFacts, NodeCloudFacts, bootLoaderEnvironment, nodeEnvironment, renderNodeEnvFile } from "./nodeEnvironment";
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
    /** What goes into an instance's `userDataBase64` or a launch template's `userData`: the gzip-compressed cloud-config. */
    readonly userDataBase64: string;
    /** The cloud-config document itself, for review and validation. */
    readonly cloudConfig: string;
}

/** One write_files entry of the cloud-config. */
export interface WriteFile {
    path: string;
    permissions: string;
    owner: string;
    content: string;
}

/** What sets one role's files apart; paths, modes, the loader and the order are every role's. */
export interface RoleFiles {
    /** The boot script's env file entries (nodeEnvironment, gatewayEnvironment). */
    readonly environment: [string, string][];
    readonly deploymentToml: string;
    /** The unit's file in config-templates/, installed as plan.paths.systemdUnit on every role. */
    readonly unitTemplate: string;
    /** What the CloudWatch agent's stream names start with: the node's name, or the gateways'. */
    readonly logStreamPrefix: string;
}

const template = (name: string) => fs.readFileSync(path.join(TEMPLATES, name), "utf8");

/** The files a machine of either role receives, by their path on the machine. */
export function machineFiles(plan: ClusterPlan, facts: CloudFacts, role: RoleFiles): WriteFile[] {
    return [
        { path: plan.paths.nodeEnvFile, permissions: "0644", owner: "root:root", content: renderNodeEnvFile(role.environment) },
        { path: plan.paths.deploymentToml, permissions: "0644", owner: "root:root", content: role.deploymentToml },
        // The boot script itself is too large for user data: the loader fetches it (lib/node/bootScript.ts).
        { path: plan.paths.bootLoaderEnvFile, permissions: "0644", owner: "root:root", content: renderNodeEnvFile(bootLoaderEnvironment(plan, facts)) },
        { path: plan.paths.bootLoader, permissions: "0755", owner: "root:root", content: template("boot-loader.sh") },
        { path: plan.paths.systemdUnit, permissions: "0644", owner: "root:root", content: template(role.unitTemplate) },
        {
            path: CLOUDWATCH_AGENT_CONFIG_PATH,
            permissions: "0644",
            owner: "root:root",
            content: JSON.stringify(cloudWatchAgentConfig(plan, { name: role.logStreamPrefix }, facts.logGroupName), null, 2) + "\n",
        },
    ];
}

/** The files a node receives, by their path on the node. */
export function nodeFiles(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): WriteFile[] {
    return machineFiles(plan, facts, {
        environment: nodeEnvironment(config, plan, node, facts),
        deploymentToml: renderDeploymentToml(config, plan, node),
        unitTemplate: "wso2am.service",
        logStreamPrefix: node.name,
    });
}

/** The cloud-config document of either role: write its files, then run the boot loader (which runs the boot script) once. */
export function cloudConfigOf(plan: ClusterPlan, files: WriteFile[]): string {
    const document = {
        write_files: files,
        // The boot script appends a node's portal host to /etc/hosts; cloud-init must not rewrite the file.
        manage_etc_hosts: false,
        // Mounting and packages are the boot script's job: cloud-init's own mounts run before packages
        // are installed, and its failures do not stop the boot.
        runcmd: [[plan.paths.bootLoader, plan.paths.bootLoaderEnvFile]],
    };
    return "#cloud-config\n" + YAML.stringify(document, { lineWidth: 0, blockQuote: "literal" });
}

/** The cloud-config document of one node. */
export function renderCloudConfig(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): string {
    return cloudConfigOf(plan, nodeFiles(config, plan, node, facts));
}

/**
 * Gzip-compressed, base64-encoded user data of a cloud-config (`label` names the machine in the error).
 * The same bytes on every machine and Node version (see deterministicGzip), so an unchanged configuration
 * never replaces a node or rolls the gateways.
 */
export function compressUserData(label: string, cloudConfig: string): RenderedUserData {
    const compressed = deterministicGzip(Buffer.from(cloudConfig, "utf8"));
    if (compressed.length > USER_DATA_LIMIT_BYTES) {
        throw new Error(`user data of ${label} is ${compressed.length} bytes compressed; EC2 accepts at most ${USER_DATA_LIMIT_BYTES}`);
    }
    return { userDataBase64: compressed.toString("base64"), cloudConfig };
}

/** User data for one node (compressUserData). */
export function renderNodeUserData(config: StackConfig, plan: ClusterPlan, node: NodePlan, facts: NodeCloudFacts): RenderedUserData {
    return compressUserData(node.name, renderCloudConfig(config, plan, node, facts));
}

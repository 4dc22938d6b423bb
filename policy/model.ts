import * as zlib from "zlib";
import { UnknownValueError } from "@pulumi/policy";

/**
 * What the checklist's pure checks read: a resource as the policy engine hands it over, reduced to plain
 * data, so the same checks run under `pulumi preview --policy-pack` and offline over mocked resources.
 */
export interface CheckedResource {
    /** Pulumi type token, e.g. aws:ec2/instance:Instance. */
    readonly type: string;
    readonly name: string;
    /** Identifies the resource among the stack's resources (its URN under the engine). */
    readonly urn: string;
    /**
     * Resource inputs (resource checks) or state (stack checks). Under `pulumi preview` a value that is not
     * known yet throws when read; the engine then reports the check as advisory ("can't run during preview").
     */
    readonly props: Readonly<Record<string, any>>;
    /** For each property, the URNs of the resources its value came from; known in previews too. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

export interface PolicyContext {
    /**
     * A development stack: the checklist's production-only items (Multi-AZ, deletion protection, 7-day
     * backups, load balancer access logs) are not required there; every other item is.
     */
    readonly development: boolean;
}

export interface StackViolation {
    readonly message: string;
    /** The resource at fault; undefined for the stack as a whole. */
    readonly urn?: string;
}

export type ResourceCheck = (resource: CheckedResource, context: PolicyContext) => string[];
export type StackCheck = (resources: readonly CheckedResource[], context: PolicyContext) => StackViolation[];

/** One row (or part of a row) of the security checklist, as a Pulumi policy. */
export interface ChecklistPolicy {
    /** Pulumi policy name. */
    readonly name: string;
    /** The checklist row(s) it encodes (docs/security.md, the checklist). */
    readonly rows: readonly number[];
    /** Scanner rule ids: checkov CKV_*, trivy AWS-*, AWS Security Hub FSBP controls. */
    readonly ruleIds: readonly string[];
    /** Scanner rules of its rows that it deliberately does not enforce; the description says why. */
    readonly relaxedRuleIds?: readonly string[];
    readonly description: string;
    /** Reads the development flag (its production-only items are waived on development stacks). */
    readonly environmentAware?: boolean;
    readonly check: { readonly kind: "resource"; readonly types: readonly string[]; readonly run: ResourceCheck } | { readonly kind: "stack"; readonly run: StackCheck };
}

/** Stack names (or `environment` stack tag values) treated as development unless the pack's config says otherwise. */
export const DEFAULT_DEVELOPMENT_ENVIRONMENTS = ["dev"] as const;

/** The stack name inside a URN: urn:pulumi:<stack>::<project>::<type>::<name>. */
export function stackOfUrn(urn: string): string {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    if (!match) throw new Error(`not a Pulumi URN: ${urn}`);
    return match[1];
}

/** Development when the stack's `environment` tag, or else its name, is one of the development environments. */
export function isDevelopment(urn: string, stackTags: ReadonlyMap<string, string>, developmentEnvironments: readonly string[]): boolean {
    return developmentEnvironments.includes(stackTags.get("environment") ?? stackOfUrn(urn));
}

/**
 * A property that may not be known during a preview, read without failing: `known: false` when the
 * engine's unknown-value guard throws. For properties whose unknown value has a clear meaning (an
 * ARN from another resource, say), so that a check holds in previews instead of becoming advisory.
 */
export function readProperty(props: Readonly<Record<string, any>>, key: string): { known: true; value: any } | { known: false } {
    try {
        return { known: true, value: props[key] };
    } catch (e) {
        if (e instanceof UnknownValueError) return { known: false };
        throw e;
    }
}

export const WORLD_CIDRS = ["0.0.0.0/0", "::/0"] as const;

/** An IAM or resource policy document given as JSON text or as an object; statements normalised to lists. */
export interface Statement {
    readonly Sid?: string;
    readonly Effect: string;
    readonly Principal?: unknown;
    readonly Action: string[];
    readonly NotAction: string[];
    readonly Resource: string[];
    readonly Condition?: Record<string, Record<string, unknown>>;
}

export function statementsOf(document: unknown): Statement[] {
    const doc = typeof document === "string" ? JSON.parse(document) : document;
    if (doc === undefined || doc === null || doc === "") return [];
    const list = [doc.Statement ?? []].flat() as any[];
    return list.map((s) => ({
        Sid: s.Sid,
        Effect: s.Effect,
        Principal: s.Principal,
        Action: [s.Action ?? []].flat(),
        NotAction: [s.NotAction ?? []].flat(),
        Resource: [s.Resource ?? []].flat(),
        Condition: s.Condition,
    }));
}

/** Whether a principal element grants to everyone ("*" or {AWS: "*"}). */
export function isWildcardPrincipal(principal: unknown): boolean {
    if (principal === "*") return true;
    if (typeof principal === "object" && principal !== null) {
        return Object.values(principal).some((v) => v === "*" || (Array.isArray(v) && v.includes("*")));
    }
    return false;
}

/** A KMS key reference to an AWS-managed key (alias/aws/<service>), by alias name or alias ARN. */
export function isAwsManagedKeyReference(value: unknown): boolean {
    return typeof value === "string" && /(^|:)alias\/aws\//.test(value);
}

/**
 * EC2 user data as text: an instance's plain userData, or its userDataBase64 (a launch template's
 * userData is always base64) decoded, and gunzipped when compressed.
 */
export function userDataText(type: string, props: Readonly<Record<string, any>>): string {
    const base64 = type === "aws:ec2/launchTemplate:LaunchTemplate" ? props.userData : props.userDataBase64;
    if (typeof base64 !== "string") return typeof props.userData === "string" ? props.userData : "";
    const bytes = Buffer.from(base64, "base64");
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}

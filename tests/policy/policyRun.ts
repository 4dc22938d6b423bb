import type { ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { RecordedResource } from "../../lib/offline/offlineMocks";
import { CHECKLIST } from "../../policy/rules";
import { pulumiPolicy } from "../../policy/policies";
import { plain } from "../support/componentRun";

/**
 * Runs the policy pack's own @pulumi/policy policies over resources recorded by the offline mocks, the
 * way the engine would call them: resource policies on each resource's inputs, stack policies on every
 * resource's state with its property dependencies. Nothing is imitated but the engine's transport.
 */

export interface Violation {
    readonly policy: string;
    readonly resource?: string;
    readonly message: string;
}

export interface EvaluationOptions {
    /** The pack config's developmentEnvironments; default: the pack's default. */
    readonly developmentEnvironments?: readonly string[];
    readonly stackTags?: ReadonlyMap<string, string>;
}

export const PROJECT = "wso2-apim-ha";

export function urnOf(stack: string, r: Pick<RecordedResource, "type" | "name">): string {
    return `urn:pulumi:${stack}::${PROJECT}::${r.type}::${r.name}`;
}

export function evaluatePolicies(resources: readonly RecordedResource[], stack: string, options: EvaluationOptions = {}): Violation[] {
    const names = resources.map((r) => r.name);
    if (new Set(names).size !== names.length) throw new Error("resource names must be unique to stand in for URNs");
    const urnByName = new Map(resources.map((r) => [r.name, urnOf(stack, r)]));
    const nameByUrn = new Map([...urnByName].map(([name, urn]) => [urn, name]));
    const stackTags = options.stackTags ?? new Map<string, string>();
    const getConfig = <T>() => (options.developmentEnvironments ? { developmentEnvironments: options.developmentEnvironments } : {}) as T;
    const violations: Violation[] = [];

    for (const policy of CHECKLIST.map(pulumiPolicy)) {
        const report = (resource?: string): ReportViolation => (message: string, urn?: string) =>
            violations.push({ policy: policy.name, resource: resource ?? (urn ? nameByUrn.get(urn) : undefined), message });
        if ("validateResource" in policy && policy.validateResource) {
            for (const r of resources.filter((x) => x.custom)) {
                const args = { type: r.type, name: r.name, urn: urnOf(stack, r), props: plain(r.inputs), stackTags, getConfig } as unknown as ResourceValidationArgs;
                for (const validate of [policy.validateResource].flat()) validate(args, report(r.name));
            }
        }
        if ("validateStack" in policy) {
            const stackResources = resources.map((r) => ({
                type: r.type,
                name: r.name,
                urn: urnOf(stack, r),
                props: plain(r.outputs),
                propertyDependencies: Object.fromEntries(
                    Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((name) => ({ urn: urnByName.get(name) }))]),
                ),
            }));
            policy.validateStack({ resources: stackResources, stackTags, getConfig } as unknown as StackValidationArgs, report());
        }
    }
    return violations;
}

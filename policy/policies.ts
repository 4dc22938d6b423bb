import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ChecklistPolicy, DEFAULT_DEVELOPMENT_ENVIRONMENTS, PolicyContext, isDevelopment } from "./model";

/**
 * The checklist's pure checks as @pulumi/policy policies, every one mandatory. Policies with
 * production-only items read the pack config `developmentEnvironments` (default ["dev"]): a stack whose
 * `environment` stack tag, or else its name, is listed there is a development stack.
 */

export const ENVIRONMENT_CONFIG_SCHEMA = {
    properties: {
        developmentEnvironments: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [...DEFAULT_DEVELOPMENT_ENVIRONMENTS],
            description: "Stack names (or `environment` stack tags) whose production-only checklist items are waived",
        },
    },
};

interface EnvironmentConfig {
    readonly developmentEnvironments?: readonly string[];
}

function contextOf(urn: string, stackTags: ReadonlyMap<string, string>, config: EnvironmentConfig): PolicyContext {
    return { development: isDevelopment(urn, stackTags, config.developmentEnvironments ?? DEFAULT_DEVELOPMENT_ENVIRONMENTS) };
}

/** The policy's description with the ids it stands for, as the CLI prints it. */
export function describePolicy(policy: ChecklistPolicy): string {
    return `${policy.description} [${policy.ruleIds.join(", ")}; checklist row ${policy.rows.join(", ")}]`;
}

export function pulumiPolicy(policy: ChecklistPolicy): ResourceValidationPolicy | StackValidationPolicy {
    const base = {
        name: policy.name,
        description: describePolicy(policy),
        enforcementLevel: "mandatory" as const,
        ...(policy.environmentAware ? { configSchema: ENVIRONMENT_CONFIG_SCHEMA } : {}),
    };
    const check = policy.check;
    if (check.kind === "resource") {
        return {
            ...base,
            validateResource: (args, reportViolation: ReportViolation) => {
                if (!check.types.includes(args.type)) return;
                const context = contextOf(args.urn, args.stackTags, args.getConfig<EnvironmentConfig>());
                const resource = { type: args.type, name: args.name, urn: args.urn, props: args.props, propertyDependencies: {} };
                for (const message of check.run(resource, context)) reportViolation(message);
            },
        };
    }
    return {
        ...base,
        validateStack: (args, reportViolation: ReportViolation) => {
            if (args.resources.length === 0) return;
            const context = contextOf(args.resources[0].urn, args.stackTags, args.getConfig<EnvironmentConfig>());
            const resources = args.resources.map((r: PolicyResource) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: r.props,
                propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.urn)])),
            }));
            for (const violation of check.run(resources, context)) reportViolation(violation.message, violation.urn);
        },
    };
}

/**
 * Command-line arguments of the project's npm scripts, parsed strictly: every slip (an unknown option, an
 * extra argument, an option npm kept for itself) is refused with the usage line instead of being ignored.
 */
import { closestNames, orList } from "../lib/config/nameSuggestions";

export interface OptionSpec {
    /** Without the dashes: "stack" for --stack. */
    readonly name: string;
    /** Shown in the usage line: --stack <name>. */
    readonly placeholder: string;
    readonly description: string;
    readonly default?: string;
    /** Values must match, e.g. a stack name. */
    readonly pattern?: RegExp;
    /** The one option a bare argument sets (`npm run render prod`). */
    readonly positional?: boolean;
}

export interface CommandSpec {
    /** How the user runs it: "npm run render". */
    readonly command: string;
    readonly options: readonly OptionSpec[];
}

export type ParsedArguments =
    | { readonly help: true; readonly text: string }
    | {
          readonly help: false;
          readonly values: Readonly<Record<string, string>>;
          /** Things worth telling the user, e.g. that a value was read from npm's configuration. */
          readonly notes: readonly string[];
      };

/** A command line that cannot be run as typed; its message ends with the usage. */
export class UsageError extends Error {
    constructor(reason: string, spec: CommandSpec) {
        super(`${spec.command}: ${reason}\n${usage(spec)}`);
        this.name = "UsageError";
    }
}

export function usage(spec: CommandSpec): string {
    const flags = spec.options.map((o) => `[--${o.name} <${o.placeholder}>]`).join(" ");
    const positional = spec.options.find((o) => o.positional);
    const lines = [`Usage: ${spec.command} -- ${flags}`];
    if (positional) lines.push(`   or: ${spec.command} <${positional.placeholder}>`);
    for (const o of spec.options) lines.push(`  --${o.name} <${o.placeholder}>  ${o.description}${o.default !== undefined ? ` (default ${o.default})` : ""}`);
    return lines.join("\n");
}

/**
 * `argv` is what follows the script name; `env` is the process environment. npm keeps options written
 * before `--` for itself and hands them over only as npm_config_<name> variables: `npm run render
 * --stack=prod` sets npm_config_stack=prod, and `npm run render --stack prod` sets it to "true" and passes
 * "prod" as an argument. Both are understood; a bare `--stack` is refused with the `--` form.
 */
export function parseArguments(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, spec: CommandSpec): ParsedArguments {
    const byName = new Map(spec.options.map((o) => [o.name, o]));
    const given: Record<string, string> = {};
    const notes: string[] = [];
    const set = (option: OptionSpec, value: string, how: string) => {
        if (option.pattern && !option.pattern.test(value)) throw new UsageError(`${how}: expected a ${option.placeholder}, got "${value}"`, spec);
        if (given[option.name] !== undefined && given[option.name] !== value) {
            throw new UsageError(`--${option.name} given twice ("${given[option.name]}" and "${value}")`, spec);
        }
        given[option.name] = value;
    };

    const positional = spec.options.find((o) => o.positional);
    const bare: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") return { help: true, text: usage(spec) };
        if (arg === "--") continue;
        if (!arg.startsWith("-")) {
            bare.push(arg);
            continue;
        }
        const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const option = byName.get(flag.replace(/^--?/, ""));
        if (!option || !flag.startsWith("--")) {
            const near = closestNames(flag.replace(/^-+/, ""), [...byName.keys()]).map((n) => `--${n}`);
            throw new UsageError(`unknown option ${flag}${near.length > 0 ? ` (did you mean ${orList(near)}?)` : ""}`, spec);
        }
        const value = inline ?? argv[i + 1];
        if (value === undefined || value === "" || (inline === undefined && value.startsWith("-"))) throw new UsageError(`${flag} needs a value: ${flag} <${option.placeholder}>`, spec);
        if (inline === undefined) i++;
        set(option, value, flag);
    }
    if (bare.length > 0) {
        if (!positional) throw new UsageError(`unexpected argument "${bare[0]}"`, spec);
        if (bare.length > 1) throw new UsageError(`expected one ${positional.name}, got ${bare.length}: ${bare.join(" ")}`, spec);
        set(positional, bare[0], `argument "${bare[0]}"`);
    }

    for (const option of spec.options) {
        const fromNpm = env[`npm_config_${option.name.replace(/-/g, "_")}`];
        if (fromNpm === undefined || fromNpm === "") continue;
        // npm marks an option it took for itself, without a value, as "true".
        if (fromNpm === "true") {
            if (given[option.name] === undefined) {
                throw new UsageError(`npm kept --${option.name} for itself; put it after --: ${spec.command} -- --${option.name} <${option.placeholder}>`, spec);
            }
            continue;
        }
        if (given[option.name] === undefined) notes.push(`--${option.name} ${fromNpm} read from npm's configuration (\`${spec.command} -- --${option.name} ${fromNpm}\` passes it directly)`);
        set(option, fromNpm, `--${option.name} (given to npm)`);
    }

    const values: Record<string, string> = {};
    for (const option of spec.options) {
        const value = given[option.name] ?? option.default;
        if (value !== undefined) values[option.name] = value;
    }
    return { help: false, values, notes };
}

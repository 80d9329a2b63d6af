/**
 * The shape of the administration commands: groups of commands, each with its arguments,
 * options, help text and a function that runs it. Options are parsed with `node:util`
 * parseArgs, strictly, so an unknown option or a missing value is a usage error.
 */
import { parseArgs } from 'node:util';
import type { AdminTable } from './target.ts';
import { UsageError } from './errors.ts';
import type { AdminIo } from './io.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Whether the option may be repeated; its values then form a list. */
  multiple?: boolean;
  short?: string;
  /** The placeholder of the value in help text, such as `URI`. */
  value?: string;
  /** For a boolean: whether `--no-<name>` sets it to false. */
  negatable?: boolean;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command prints: text for people, and the same result as a JSON value. */
export interface CommandOutput {
  text: string;
  json: unknown;
}

export interface Invocation {
  /** The positional arguments, one per name in the command's `arguments`. */
  arguments: string[];
  options: OptionValues;
  json: boolean;
  io: AdminIo;
  /** Opens the target table; commands call it after checking their input. */
  openTable(): Promise<AdminTable>;
  /**
   * Asks the operator to confirm an action, unless `--yes` was given. Throws when the operator
   * declines, or when there is no terminal to ask on.
   */
  confirm(question: string): Promise<void>;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** The positional arguments, all required, as the usage line names them. */
  arguments: string[];
  options: Record<string, OptionSpec>;
  /** Paragraphs of help text after the options. */
  notes?: string[];
  run(invocation: Invocation): Promise<CommandOutput>;
}

export interface GroupSpec {
  name: string;
  summary: string;
  commands: CommandSpec[];
}

/** Parses a command's arguments and options, with the global options added. */
export function parseCommandLine(
  command: CommandSpec,
  globalOptions: Record<string, OptionSpec>,
  args: string[],
): { positionals: string[]; options: OptionValues } {
  const specs = { ...globalOptions, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [name, toParseArgsOption(spec)]),
      ),
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}.`);
  }
  const options = parsed.values as OptionValues;
  checkNegations(options, specs);
  return { positionals: parsed.positionals, options };
}

function toParseArgsOption(spec: OptionSpec) {
  return {
    type: spec.type,
    ...(spec.multiple ? { multiple: true } : {}),
    ...(spec.short === undefined ? {} : { short: spec.short }),
  };
}

/** parseArgs accepts `--no-<name>` for every boolean, so reject those that are not negatable. */
function checkNegations(options: OptionValues, specs: Record<string, OptionSpec>): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === false && specs[name]?.negatable !== true) {
      throw new UsageError(`Unknown option '--no-${name}'.`);
    }
  }
}

/** Reads a string option; a repeated one is an error. */
export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new UsageError(`The option --${name} takes a value.`);
}

/** Reads a boolean option: true, false (`--no-<name>`), or undefined when absent. */
export function booleanOption(options: OptionValues, name: string): boolean | undefined {
  const value = options[name];
  return typeof value === 'boolean' ? value : undefined;
}

/** Reads a repeatable option; undefined when it was not given. */
export function listOption(options: OptionValues, name: string): string[] | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [String(value)];
}

/**
 * The administration command: `oauth-admin <group> <command> [arguments] [options]`. It finds
 * the command, parses its options, runs it against the target table and prints the result as
 * text or, with --json, as one JSON document. It returns the exit status; see errors.ts.
 */
import { ConfigurationError } from '../../functions/config.ts';
import { StorageUnavailableError } from '../../functions/storage/errors.ts';
import { clientCommands } from './clients.ts';
import {
  booleanOption,
  parseCommandLine,
  stringOption,
  type CommandSpec,
  type GroupSpec,
  type Invocation,
  type OptionSpec,
  type OptionValues,
} from './command.ts';
import { AdminError, EXIT_FAILURE, EXIT_SUCCESS, EXIT_USAGE, UsageError } from './errors.ts';
import { commandHelp, groupHelp, mainHelp } from './help.ts';
import type { AdminIo } from './io.ts';
import { keyCommands } from './keys.ts';
import { confirmOnTerminal } from './prompts.ts';
import { openTarget, type AdminTable } from './target.ts';
import { tokenCommands } from './tokens.ts';
import { userCommands } from './users.ts';

export const GROUPS: GroupSpec[] = [clientCommands, userCommands, keyCommands, tokenCommands];

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print the result, or the error, as JSON.' },
  yes: {
    type: 'boolean',
    short: 'y',
    description: 'Confirm destructive commands in advance, without a question.',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    description: 'Data folder of the local server (default: DATA_DIR, or .data in the project).',
  },
  table: {
    type: 'string',
    value: 'NAME',
    description:
      'Table name (default: TABLE_NAME, the local server\'s table, or the stack output).',
  },
  endpoint: {
    type: 'string',
    value: 'URL',
    description: 'A DynamoDB-compatible endpoint, used with fixed local credentials.',
  },
  region: {
    type: 'string',
    value: 'REGION',
    description: 'AWS region of a deployed table, with --stack or --table.',
  },
  stack: {
    type: 'string',
    value: 'NAME',
    description: 'CloudFormation stack whose TableName output names the deployed table.',
  },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
};

/** Runs the command line `args` (without the program name) and returns the exit status. */
export async function runAdmin(args: string[], io: AdminIo): Promise<number> {
  const json = args.includes('--json');
  try {
    return await dispatch(args, io);
  } catch (error) {
    return reportError(error, io, json);
  }
}

async function dispatch(args: string[], io: AdminIo): Promise<number> {
  const { groupName, commandName, rest } = splitCommandWords(args);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (groupName === undefined) {
    // Without a group the help is printed: a success with --help, a usage error without.
    const help = `${mainHelp(GROUPS, GLOBAL_OPTIONS)}\n`;
    if (wantsHelp) io.stdout.write(help);
    else io.stderr.write(help);
    return wantsHelp ? EXIT_SUCCESS : EXIT_USAGE;
  }
  const group = GROUPS.find((candidate) => candidate.name === groupName);
  if (group === undefined) {
    const names = GROUPS.map((candidate) => candidate.name).join(', ');
    throw new UsageError(`Unknown group '${groupName}'. The groups are: ${names}.`);
  }

  if (commandName === undefined) {
    const help = `${groupHelp(group)}\n`;
    if (wantsHelp) io.stdout.write(help);
    else io.stderr.write(help);
    return wantsHelp ? EXIT_SUCCESS : EXIT_USAGE;
  }
  const command = group.commands.find((candidate) => candidate.name === commandName);
  if (command === undefined) {
    const names = group.commands.map((candidate) => candidate.name).join(', ');
    throw new UsageError(
      `Unknown command '${commandName}' of ${group.name}. The commands are: ${names}.`,
    );
  }
  return runCommand(group, command, rest, io);
}

/**
 * Finds the group and command names: the first two words that are neither options nor the
 * value of a global option, so that global options may come first. Returns the other words.
 */
function splitCommandWords(args: string[]): {
  groupName?: string;
  commandName?: string;
  rest: string[];
} {
  const names: string[] = [];
  const rest: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index] ?? '';
    if (word === '--') {
      rest.push(...args.slice(index));
      break;
    }
    if (names.length < 2 && !word.startsWith('-')) {
      names.push(word);
      continue;
    }
    rest.push(word);
    const takesValue = GLOBAL_OPTIONS[word.replace(/^--/, '')]?.type === 'string';
    const next = args[index + 1];
    if (names.length < 2 && takesValue && next !== undefined) {
      rest.push(next);
      index++;
    }
  }
  const [groupName, commandName] = names;
  return { groupName, commandName, rest };
}

async function runCommand(
  group: GroupSpec,
  command: CommandSpec,
  args: string[],
  io: AdminIo,
): Promise<number> {
  // Help never needs valid arguments, so it is checked before parsing.
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${commandHelp(group, command, GLOBAL_OPTIONS)}\n`);
    return EXIT_SUCCESS;
  }
  const { positionals, options } = parseCommandLine(command, GLOBAL_OPTIONS, args);
  checkArgumentCount(group, command, positionals);

  const json = booleanOption(options, 'json') === true;
  let table: AdminTable | undefined;
  const invocation: Invocation = {
    arguments: positionals,
    options,
    json,
    io,
    openTable: async () => {
      table ??= await openTarget(targetOptions(options), io.env);
      return table;
    },
    confirm: async (question) => {
      if (booleanOption(options, 'yes') === true) return;
      await confirmOnTerminal(io, question);
    },
  };

  try {
    const output = await command.run(invocation);
    io.stdout.write(json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return EXIT_SUCCESS;
  } finally {
    await table?.close();
  }
}

function checkArgumentCount(group: GroupSpec, command: CommandSpec, positionals: string[]) {
  const expected = command.arguments;
  if (positionals.length === expected.length) return;
  const usage = [group.name, command.name, ...expected.map((name) => `<${name}>`)].join(' ');
  const problem =
    positionals.length < expected.length
      ? `The argument <${expected[positionals.length]}> is missing`
      : `Unexpected argument '${positionals[expected.length]}'`;
  throw new UsageError(`${problem}. Usage: oauth-admin ${usage} [options].`);
}

function targetOptions(options: OptionValues) {
  return {
    dataDirectory: stringOption(options, 'data-dir'),
    tableName: stringOption(options, 'table'),
    endpoint: stringOption(options, 'endpoint'),
    region: stringOption(options, 'region'),
    stack: stringOption(options, 'stack'),
  };
}

/** Prints an error on standard error and returns its exit status. */
function reportError(error: unknown, io: AdminIo, json: boolean): number {
  const { code, message, exitStatus } = describeError(error);
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: code, message })}\n`);
  } else {
    io.stderr.write(`oauth-admin: ${message}\n`);
  }
  return exitStatus;
}

function describeError(error: unknown): { code: string; message: string; exitStatus: number } {
  if (error instanceof AdminError) {
    return { code: error.code, message: error.message, exitStatus: error.exitStatus };
  }
  if (error instanceof ConfigurationError) {
    return { code: 'invalid_configuration', message: error.message, exitStatus: EXIT_USAGE };
  }
  if (error instanceof StorageUnavailableError) {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    const detail = cause === undefined ? '' : `: ${cause.name}: ${cause.message}`;
    const hint =
      cause?.name === 'ResourceNotFoundException'
        ? ' Check the table name (--table, --stack) and the region.'
        : ' Check that the table can be reached, and run the command again.';
    return {
      code: 'storage_unavailable',
      message: `DynamoDB ${error.operation} failed${detail}.${hint}`,
      exitStatus: EXIT_FAILURE,
    };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    code: 'internal_error',
    message: `Unexpected failure: ${message}`,
    exitStatus: EXIT_FAILURE,
  };
}

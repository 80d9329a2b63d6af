/** The `--help` texts of the administration command, its groups and its commands. */
import type { CommandSpec, GroupSpec, OptionSpec } from './command.ts';

const PROGRAM = 'oauth-admin';
const WIDTH = 100;

export const EXIT_STATUS_HELP = [
  'Exit status: 0 success; 1 invalid usage or input, or no confirmation; 2 not found;',
  '3 already exists; 4 the table could not be used, or another failure.',
].join('\n');

export function mainHelp(groups: GroupSpec[], globalOptions: Record<string, OptionSpec>): string {
  return [
    `Usage: ${PROGRAM} <group> <command> [arguments] [options]`,
    '',
    'Manages the clients, users, signing keys and tokens in the table of the OAuth server.',
    '',
    'Groups:',
    ...table(groups.map((group) => [group.name, group.summary])),
    '',
    'Global options:',
    ...formatOptions(globalOptions),
    '',
    `Without --stack, --region or --endpoint, the commands use the local server's data folder.`,
    `Run '${PROGRAM} <group> --help' for the commands of a group.`,
    '',
    EXIT_STATUS_HELP,
  ].join('\n');
}

export function groupHelp(group: GroupSpec): string {
  return [
    `Usage: ${PROGRAM} ${group.name} <command> [arguments] [options]`,
    '',
    `${group.summary}.`,
    '',
    'Commands:',
    ...table(group.commands.map((command) => [command.name, command.summary])),
    '',
    `Run '${PROGRAM} ${group.name} <command> --help' for its arguments and options.`,
  ].join('\n');
}

export function commandHelp(
  group: GroupSpec,
  command: CommandSpec,
  globalOptions: Record<string, OptionSpec>,
): string {
  const usageArguments = command.arguments.map((name) => `<${name}>`);
  const usage = [PROGRAM, group.name, command.name, ...usageArguments, '[options]'].join(' ');
  const lines = [`Usage: ${usage}`, '', `${command.summary}.`];
  if (Object.keys(command.options).length > 0) {
    lines.push('', 'Options:', ...formatOptions(command.options));
  }
  lines.push('', 'Global options:', ...formatOptions(globalOptions));
  for (const note of command.notes ?? []) lines.push('', ...formatNote(note));
  return lines.join('\n');
}

/** Wraps a note's lines, except indented ones, such as examples, which stay as written. */
function formatNote(note: string): string[] {
  return note.split('\n').flatMap((line) => (/^\s/.test(line) ? [line] : wrap(line, WIDTH)));
}

function formatOptions(options: Record<string, OptionSpec>): string[] {
  return table(
    Object.entries(options).map(([name, spec]) => [optionLabel(name, spec), describe(spec)]),
  );
}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = spec.negatable ? `--[no-]${name}` : `--${name}`;
  const withValue = spec.type === 'string' ? `${long} ${spec.value ?? 'VALUE'}` : long;
  return spec.short === undefined ? withValue : `-${spec.short}, ${withValue}`;
}

function describe(spec: OptionSpec): string {
  return spec.multiple ? `${spec.description} Repeatable.` : spec.description;
}

/** Lays out two columns, wrapping the second within WIDTH. */
function table(rows: string[][]): string[] {
  const labelWidth = Math.min(34, Math.max(...rows.map(([label = '']) => label.length)));
  const lines: string[] = [];
  for (const [label = '', text = ''] of rows) {
    const indent = 2 + labelWidth + 2;
    const wrapped = wrap(text, WIDTH - indent);
    if (label.length > labelWidth) {
      lines.push(`  ${label}`);
      for (const line of wrapped) lines.push(`${' '.repeat(indent)}${line}`);
      continue;
    }
    const [first = '', ...rest] = wrapped;
    lines.push(`  ${label.padEnd(labelWidth)}  ${first}`.trimEnd());
    for (const line of rest) lines.push(`${' '.repeat(indent)}${line}`);
  }
  return lines;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

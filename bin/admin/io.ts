/** The terminal and streams of the administration command, replaceable in tests. */

/** Standard input: a terminal (with raw mode) or a pipe. */
export interface AdminInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface AdminOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface AdminIo {
  stdin: AdminInput;
  stdout: AdminOutput;
  /** Prompts and errors go here, so that standard output carries only results. */
  stderr: AdminOutput;
  env: NodeJS.ProcessEnv;
}

export function processIo(): AdminIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
}

/** Whether the operator can be asked a question: standard input is a terminal. */
export function isInteractive(io: AdminIo): boolean {
  return io.stdin.isTTY === true;
}

/** Reads standard input to its end, as UTF-8. */
export async function readAllInput(input: AdminInput): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Returns the input without one trailing line break, as `echo` or a here-string adds. */
export function withoutTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** Formats a time in seconds or milliseconds since the Unix epoch as ISO 8601 UTC. */
export function isoTime(epoch: number, unit: 'seconds' | 'milliseconds'): string {
  return new Date(unit === 'seconds' ? epoch * 1000 : epoch).toISOString();
}

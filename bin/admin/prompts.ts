/**
 * Questions to the operator on the terminal: confirmation of destructive commands, and
 * passwords, read in raw mode so that the terminal does not echo them.
 */
import { AdminError, EXIT_USAGE, UsageError } from './errors.ts';
import { isInteractive, type AdminInput, type AdminIo } from './io.ts';

/** The exit status of a shell command ended by Ctrl-C: 128 plus SIGINT's number. */
const EXIT_INTERRUPTED = 130;

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u007f', '\b'];

export class CancelledError extends AdminError {
  constructor(message = 'Cancelled. Nothing was changed.', exitStatus = EXIT_USAGE) {
    super(message, 'cancelled', exitStatus);
  }
}

/**
 * Asks a yes-or-no question on the terminal, where anything but `y` or `yes` declines. Without
 * a terminal, throws a UsageError that names --yes, because the question cannot be asked.
 */
export async function confirmOnTerminal(io: AdminIo, question: string): Promise<void> {
  if (!isInteractive(io)) {
    throw new UsageError(
      `${question} Not confirmed: standard input is not a terminal, so the command cannot ` +
        'ask. Pass --yes to confirm in advance.',
    );
  }
  io.stderr.write(`${question} [y/N] `);
  const answer = await readLine(io.stdin, { hidden: false, echo: io.stderr });
  if (!/^y(es)?$/i.test(answer.trim())) throw new CancelledError();
}

/**
 * Reads a password twice without echo and returns it, or throws when the two differ. Needs a
 * terminal; the caller offers --password-stdin otherwise.
 */
export async function readNewPassword(io: AdminIo): Promise<string> {
  io.stderr.write('New password: ');
  const password = await readLine(io.stdin, { hidden: true, echo: io.stderr });
  io.stderr.write('Repeat the password: ');
  const repeated = await readLine(io.stdin, { hidden: true, echo: io.stderr });
  if (password !== repeated) throw new UsageError('The passwords differ. Nothing was changed.');
  return password;
}

/**
 * Reads one line from a terminal in raw mode, handling backspace, Ctrl-C and Ctrl-D. A hidden
 * line is not echoed; a visible one is echoed to `echo`. Ends the line on `echo` either way.
 */
export function readLine(
  input: AdminInput,
  { hidden, echo }: { hidden: boolean; echo: { write(text: string): unknown } },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      echo.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      const characters = [...chunk.toString()];
      for (const [index, character] of characters.entries()) {
        if (character === '\r' || character === '\n') {
          // A paste can bring the next line in the same chunk: leave it for the next read.
          let rest = characters.slice(index + 1).join('');
          if (character === '\r') rest = rest.replace(/^\n/, '');
          return finish(() => {
            // Only after the listener is off, or it would read the rest as this line.
            if (rest !== '') input.unshift(Buffer.from(rest, 'utf8'));
            resolve(line);
          });
        }
        if (character === CTRL_C) {
          return finish(() => reject(new CancelledError('Cancelled.', EXIT_INTERRUPTED)));
        }
        if (character === CTRL_D && line === '') return finish(() => reject(new CancelledError()));
        if (BACKSPACE.includes(character)) {
          const removed = [...line].pop();
          line = [...line].slice(0, -1).join('');
          if (!hidden && removed !== undefined) echo.write('\b \b');
        } else if (character >= ' ') {
          line += character;
          if (!hidden) echo.write(character);
        }
      }
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

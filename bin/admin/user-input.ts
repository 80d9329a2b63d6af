/** Usernames, passwords and profile values as the `users` commands accept them. */
import { UsageError } from './errors.ts';
import { isInteractive, readAllInput, withoutTrailingNewline, type AdminIo } from './io.ts';
import { readNewPassword } from './prompts.ts';

/** Lengths in Unicode code points. NIST SP 800-63B section 5.1.1.2 requires at least 8. */
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_USERNAME_LENGTH = 128;
const MAX_NAME_LENGTH = 200;

const CONTROL_CHARACTER = /\p{Cc}/u;

/** Checks a username: 1 to 128 characters without whitespace or control characters. */
export function parseUsername(value: string): string {
  const length = [...value].length;
  if (length === 0 || length > MAX_USERNAME_LENGTH || /[\s\p{Cc}]/u.test(value)) {
    throw new UsageError(
      `The username '${value}' is invalid: use 1 to ${MAX_USERNAME_LENGTH} characters ` +
        'without spaces or control characters.',
    );
  }
  return value;
}

export function parseName(value: string): string {
  if ([...value].length > MAX_NAME_LENGTH || CONTROL_CHARACTER.test(value)) {
    throw new UsageError(
      `--name is invalid: use at most ${MAX_NAME_LENGTH} characters without control characters.`,
    );
  }
  return value;
}

/** Checks the form `local@domain`, without spaces; whether the address exists is not checked. */
export function parseEmail(value: string): string {
  if (value.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new UsageError(`--email ${value} is invalid: use an address such as alice@example.com.`);
  }
  return value;
}

/**
 * Reads a new password: all of standard input with `fromStdin` (one trailing line break
 * dropped), or twice without echo from the terminal. Without either, throws a UsageError.
 */
export async function readPassword(io: AdminIo, fromStdin: boolean): Promise<string> {
  let password: string;
  if (fromStdin) {
    password = withoutTrailingNewline(await readAllInput(io.stdin));
  } else if (isInteractive(io)) {
    password = await readNewPassword(io);
  } else {
    throw new UsageError(
      'Standard input is not a terminal, so the password cannot be asked for. Send it on ' +
        'standard input with --password-stdin.',
    );
  }
  return checkPassword(password);
}

export function checkPassword(password: string): string {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(
      `The password has ${length} characters: use ${MIN_PASSWORD_LENGTH} to ` +
        `${MAX_PASSWORD_LENGTH}. Nothing was changed.`,
    );
  }
  if (CONTROL_CHARACTER.test(password)) {
    throw new UsageError(
      'The password contains a control character, such as a line break, that the sign-in ' +
        'form cannot take. Nothing was changed.',
    );
  }
  return password;
}

/** Paging of the `list` commands, over the paginated Query of a directory partition. */
import { stringOption, type OptionSpec, type OptionValues } from './command.ts';
import { UsageError } from './errors.ts';

const MAX_LIMIT = 1000;

export const PAGING_OPTIONS: Record<string, OptionSpec> = {
  limit: {
    type: 'string',
    value: 'N',
    description: `List at most N entries, 1 to ${MAX_LIMIT} (default: all).`,
  },
  after: {
    type: 'string',
    value: 'KEY',
    description: "Start after this entry: the 'next' value of the previous page.",
  },
};

export interface Paging {
  limit?: number;
  after?: string;
}

export interface Page<Entry> {
  entries: Entry[];
  /** Where the next page starts, when more entries may follow. */
  next?: string;
}

export function readPaging(options: OptionValues): Paging {
  const limitText = stringOption(options, 'limit');
  const after = stringOption(options, 'after');
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw new UsageError(
        `--limit ${limitText} is invalid: use a whole number from 1 to ${MAX_LIMIT}.`,
      );
    }
  }
  return { ...(limit === undefined ? {} : { limit }), ...(after === undefined ? {} : { after }) };
}

/**
 * Reads pages until `paging.limit` entries are collected or the directory ends. A Query may
 * return fewer items than its Limit, when it reaches 1 MB, so one page may take several.
 * One entry more than the limit is read, so that `next` is set only when more entries exist.
 */
export async function collectPages<Entry>(
  readPage: (paging: Paging) => Promise<Page<Entry>>,
  keyOf: (entry: Entry) => string,
  paging: Paging,
): Promise<Page<Entry>> {
  const entries: Entry[] = [];
  let after = paging.after;
  for (;;) {
    const queryLimit = paging.limit === undefined ? undefined : paging.limit + 1 - entries.length;
    const page = await readPage({
      ...(queryLimit === undefined ? {} : { limit: queryLimit }),
      ...(after === undefined ? {} : { after }),
    });
    entries.push(...page.entries);
    after = page.next;
    if (paging.limit !== undefined && entries.length > paging.limit) {
      const kept = entries.slice(0, paging.limit);
      const last = kept.at(-1);
      return last === undefined ? { entries: kept } : { entries: kept, next: keyOf(last) };
    }
    if (after === undefined) return { entries };
  }
}

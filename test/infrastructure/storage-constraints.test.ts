/**
 * Guards the storage design that multi-Region strong consistency requires. DynamoDB tables in
 * that mode support neither transactions nor local secondary indexes. So the handlers must not
 * call a transaction API, and the CDK code must not define a local secondary index. The check
 * reads the source text, so it also catches code that no test runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../lib/oauth-function.ts';

const transactionApis = [
  'TransactWrite',
  'TransactGet',
  'TransactWriteItems',
  'ExecuteTransaction',
];
const localIndexApis = ['localSecondaryIndexes', 'addLocalSecondaryIndex', 'LocalSecondaryIndex'];

/** Returns the TypeScript files under a folder of the repository, relative to its root. */
function sourceFiles(folder: string): string[] {
  const entries = readdirSync(path.join(repositoryRoot, folder), {
    recursive: true,
    withFileTypes: true,
  });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(repositoryRoot, path.join(entry.parentPath, entry.name)));
}

/** Returns `file: term` for every file that mentions one of the terms. */
function mentions(files: readonly string[], terms: readonly string[]): string[] {
  return files.flatMap((file) => {
    const text = readFileSync(path.join(repositoryRoot, file), 'utf8');
    return terms.filter((term) => text.includes(term)).map((term) => `${file}: ${term}`);
  });
}

describe('storage constraints', () => {
  it('finds the source files', () => {
    expect(sourceFiles('functions')).toContain('functions/routes.ts');
    expect(sourceFiles('lib')).toContain('lib/oauth-table.ts');
  });

  it('uses no DynamoDB transaction in the functions', () => {
    expect(mentions(sourceFiles('functions'), transactionApis)).toEqual([]);
  });

  it('defines no local secondary index', () => {
    const cdkFiles = [...sourceFiles('lib'), 'bin/cdk-app.ts'];

    expect(mentions(cdkFiles, localIndexApis)).toEqual([]);
  });
});

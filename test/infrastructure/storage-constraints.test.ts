/**
 * Guards the storage design that multi-Region strong consistency requires. DynamoDB tables in
 * that mode support neither transactions nor local secondary indexes. So the handlers must not
 * call a transaction API, and the CDK code must not define a local secondary index. Also guards
 * the premise of lib/signing-key-encryption.ts: the only Query of the table reads the signing
 * keys. The checks read the source text, so they also catch code that no test runs.
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

  it('queries the table in functions only for the signing keys', () => {
    const queries = mentions(sourceFiles('functions'), ['new QueryCommand', 'paginateQuery']);
    const sweeper = readFileSync(
      path.join(repositoryRoot, 'functions/storage/expired-item-sweeper.ts'),
      'utf8',
    );
    const outsideStorage = sourceFiles('functions').filter(
      (file) => !file.startsWith('functions/storage/'),
    );

    // A new Query changes which functions read the signing keys, and so which may use the
    // KMS key: review signingKeyUse in lib/signing-key-encryption.ts before updating this.
    expect(queries).toEqual([
      'functions/storage/client-repository.ts: new QueryCommand',
      'functions/storage/expired-item-sweeper.ts: new QueryCommand',
      'functions/storage/signing-key-repository.ts: new QueryCommand',
      'functions/storage/user-repository.ts: new QueryCommand',
    ]);
    expect(sweeper).toContain('IndexName: EXPIRY_INDEX_NAME');
    // The client and user directories are listed only by the administration command in bin/.
    expect(mentions(outsideStorage, ['listClientIds', 'listUsers'])).toEqual([]);
  });

  it('defines no local secondary index', () => {
    const cdkFiles = [...sourceFiles('lib'), 'bin/cdk-app.ts'];

    expect(mentions(cdkFiles, localIndexApis)).toEqual([]);
  });
});

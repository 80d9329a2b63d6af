/**
 * Prints the contents of the function bundles: bundles the token handler and the cold start
 * baseline as bench/cold-start.ts does, and prints the minified bytes per npm package or
 * project folder, from esbuild's metafile.
 *
 * Run: node bench/bundle-composition.ts [entry ...] (default: the token handler and the baseline)
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { writeResult } from './support/results.ts';
import { repositoryRoot } from './support/server-process.ts';
import { fixed, markdownTable } from './support/statistics.ts';

const entries = process.argv.slice(2);
if (entries.length === 0) entries.push('functions/handlers/token.ts', 'bench/baseline-function.ts');

const TOP = 15;

export interface Composition {
  entry: string;
  totalBytes: number;
  /** Bytes in the bundle per package or folder, largest first. */
  parts: Array<{ name: string; bytes: number }>;
}

async function compose(entry: string): Promise<Composition> {
  const result = await build({
    entryPoints: [join(repositoryRoot, entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    outfile: join(repositoryRoot, 'bench', 'results', 'unused.mjs'),
    write: false,
    minify: true,
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'error',
  });
  const [output] = Object.values(result.metafile.outputs);
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`);

  const bytesByPart = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const name = partOf(path);
    bytesByPart.set(name, (bytesByPart.get(name) ?? 0) + input.bytesInOutput);
  }
  const parts = [...bytesByPart]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return { entry, totalBytes: parts.reduce((sum, part) => sum + part.bytes, 0), parts };
}

/** Returns the npm package of a bundled file, or its first two path segments. */
function partOf(path: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inModules?.[1] !== undefined) return inModules[1];
  return path.split('/').slice(0, 2).join('/');
}

const compositions: Composition[] = [];
for (const entry of entries) compositions.push(await compose(entry));
writeResult('bundle-composition', compositions);

for (const composition of compositions) {
  console.log(`\n${composition.entry}: ${fixed(composition.totalBytes / 1024, 0)} KiB minified\n`);
  console.log(
    markdownTable([
      ['package or folder', 'KiB'],
      ...composition.parts.slice(0, TOP).map((part) => [part.name, fixed(part.bytes / 1024, 1)]),
    ]),
  );
}

/**
 * A preload for bench/token-throughput.ts --with-proposals: swaps two modules of the server
 * for the versions in this folder, which apply the changes that docs/benchmarks.md proposes,
 * so their effect is measured without editing functions/.
 *
 *   node --import ./bench/experiments/register-proposals.ts bin/local-server.ts
 */
import { register } from 'node:module';

register('./proposals-hooks.ts', import.meta.url);

/** Module resolution hooks that point two server modules at their proposed versions. */
import type { ResolveHook } from 'node:module';

const repositoryRoot = new URL('../../', import.meta.url);

/** Original module, relative to the repository root, and its proposed version. */
const replacements = [
  ['functions/oauth/access-token.ts', 'bench/experiments/access-token.ts'],
  ['functions/http/metrics.ts', 'bench/experiments/metrics.ts'],
].map(([original = '', proposed = '']) => [
  new URL(original, repositoryRoot).href,
  new URL(proposed, repositoryRoot).href,
]);

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  for (const [original, proposed] of replacements) {
    if (resolved.url === original && proposed !== undefined) return { ...resolved, url: proposed };
  }
  return resolved;
};

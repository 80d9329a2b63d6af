/**
 * zod's tree-shakable `zod/mini` API, with zod's English error messages. Unlike `zod`,
 * `zod/mini` (zod 4.6) registers no locale, so without this module every default message would
 * read only "Invalid input". Import zod through this module: `import * as z from './zod.ts'`.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

// Imported by name, because `locales.en()` through the `zod/mini` namespace makes esbuild
// bundle every locale, about 260 KB minified.
config(en());

export * from 'zod/mini';

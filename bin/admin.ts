#!/usr/bin/env node
/**
 * `oauth-admin` and `npm run admin`: manages the clients, users, signing keys and tokens of
 * the server's table. See docs/admin.md, or run it with --help.
 */
import { runAdmin } from './admin/main.ts';
import { processIo } from './admin/io.ts';

process.exitCode = await runAdmin(process.argv.slice(2), processIo());

/**
 * The configuration of this function instance, read at cold start. A bad value throws
 * here, so the function fails to initialize with a message that names the variable.
 */
import { loadServerConfig } from '../config.ts';

export const config = loadServerConfig();

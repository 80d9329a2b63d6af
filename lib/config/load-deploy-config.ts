/**
 * Loading of the deployment configuration file: a TypeScript module whose default export is a
 * DeployConfigInput, run by Node's type stripping like the rest of the CDK app.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DeployConfig } from './deploy-config.ts';
import { DeployConfigError, parseDeployConfig } from './parse-deploy-config.ts';
import type { EnvironmentDefaults } from './parse-deploy-config.ts';

/** The file that the app reads when the `deployConfig` context value names none. */
export const defaultConfigFile = 'deploy.config.ts';

export interface LoadOptions {
  /** Folder that relative file names are resolved against. */
  readonly directory: string;
  /**
   * File named with `-c deployConfig=FILE`, which must exist.
   *
   * @default - deploy.config.ts, or the defaults when that file does not exist
   */
  readonly file?: string;
  readonly environment: EnvironmentDefaults;
}

/** Reads and validates the configuration file, or returns the defaults when there is none. */
export async function loadDeployConfig(options: LoadOptions): Promise<DeployConfig> {
  const file = path.resolve(options.directory, options.file ?? defaultConfigFile);
  if (!existsSync(file)) {
    if (options.file !== undefined) {
      throw new DeployConfigError(
        `Deploy configuration file not found: ${file} (named by the deployConfig context value).`,
      );
    }
    return parseDeployConfig({}, options.environment, 'default deploy configuration');
  }

  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (module.default === undefined) {
    throw new DeployConfigError(
      `Invalid deploy configuration ${file}: it must have a default export, ` +
        'such as `export default defineDeployConfig({ regions: ["eu-west-1"] })`.',
    );
  }
  return parseDeployConfig(module.default, options.environment, `deploy configuration ${file}`);
}

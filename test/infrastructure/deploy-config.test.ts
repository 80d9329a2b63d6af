/**
 * Validation of the deployment configuration: the message for each bad value, the defaults,
 * the ranges of the token lifetimes and the key rotation period compared with the functions'
 * own, and loading the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import exampleConfig from '../../deploy.config.example.ts';
import { loadServerConfig } from '../../functions/config.ts';
import type { ServerConfig } from '../../functions/config.ts';
import { loadDeployConfig } from '../../lib/config/load-deploy-config.ts';
import { DeployConfigError, parseDeployConfig } from '../../lib/config/parse-deploy-config.ts';
import { keyRotationSetting } from '../../lib/config/signing-keys.ts';
import { tokenLifetimeNames, tokenLifetimeSettings } from '../../lib/config/token-lifetimes.ts';
import type { TokenLifetimeName } from '../../lib/config/token-lifetimes.ts';
import { repositoryRoot } from '../../lib/oauth-function.ts';

const domain = { name: 'auth.example.com', hostedZoneId: 'Z0123', hostedZoneName: 'example.com' };
const arn = (region: string) => `arn:aws:sns:${region}:123456789012:alarms`;

/** [case, input, expected part of the message] */
const invalidConfigs: [string, unknown, string][] = [
  [
    'a config that is no object',
    'eu-west-1',
    'top level: must be an object of deployment settings (got "eu-west-1")',
  ],
  ['an unknown property', { region: 'eu-west-1' }, 'top level: unknown property "region"'],
  [
    'an unknown nested property',
    { tokenLifetimes: { accessToken: 60 } },
    'tokenLifetimes: unknown property "accessToken"',
  ],
  [
    'a stack name prefix with a digit first',
    { stackNamePrefix: '1auth' },
    'stackNamePrefix: must start with a letter and have at most 64 letters, digits and ' +
      'hyphens (got "1auth")',
  ],
  ['a short account', { account: '1234' }, 'account: must be a 12-digit AWS account ID'],
  [
    'regions as a string',
    { regions: 'eu-west-1' },
    'regions: must be a list of AWS region names (got "eu-west-1")',
  ],
  ['no regions', { regions: [] }, 'regions: must name at least one region (got [])'],
  [
    'a bad region name',
    { regions: ['eu-west-1', 'eu-west'] },
    'regions[1]: must be an AWS region name such as eu-west-1 (got "eu-west")',
  ],
  [
    'a duplicate region',
    { regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] },
    'regions[2]: "eu-west-1" is listed twice',
  ],
  [
    'a primary region outside regions',
    { regions: ['eu-west-1'], primaryRegion: 'us-east-1' },
    'primaryRegion: "us-east-1" must be one of regions (eu-west-1)',
  ],
  [
    'an unknown consistency mode',
    { consistency: 'linearizable' },
    'consistency: must be "eventual" or "strong" (got "linearizable")',
  ],
  [
    'strong mode with two regions',
    { regions: ['us-east-1', 'us-east-2'], consistency: 'strong' },
    'consistency: "strong" requires exactly 3 regions, got 2 (us-east-1, us-east-2)',
  ],
  [
    'strong mode with four regions',
    { regions: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'], consistency: 'strong' },
    'consistency: "strong" requires exactly 3 regions, got 4',
  ],
  [
    'strong mode across region sets',
    { regions: ['us-east-1', 'us-east-2', 'eu-west-1'], consistency: 'strong' },
    'consistency: "strong" requires all three regions from one of the sets ' +
      'US (us-east-1, us-east-2, us-west-2), EU (eu-west-1, eu-west-2, eu-west-3, ' +
      'eu-central-1), AP (ap-northeast-1, ap-northeast-2, ap-northeast-3), ' +
      'got us-east-1, us-east-2, eu-west-1',
  ],
  [
    'strong mode outside every set',
    { regions: ['sa-east-1', 'us-east-1', 'us-east-2'], consistency: 'strong' },
    'got sa-east-1, us-east-1, us-east-2',
  ],
  [
    'a bad table name',
    { table: { name: 'my table' } },
    'table.name: must be a DynamoDB table name: 3 to 255 letters, digits, _, . or - ' +
      '(got "my table")',
  ],
  [
    'destroy on a protected table',
    { table: { removalPolicy: 'destroy' } },
    'table.removalPolicy: "destroy" requires table.deletionProtection: false',
  ],
  [
    'a domain outside its hosted zone',
    { domain: { ...domain, name: 'auth.example.org' } },
    'domain.name: "auth.example.org" is not in the hosted zone "example.com"',
  ],
  [
    'a domain in upper case',
    { domain: { ...domain, name: 'Auth.example.com' } },
    'domain.name: must be a lower-case DNS name such as auth.example.com, without a final dot',
  ],
  [
    'a domain with a final dot',
    { domain: { ...domain, name: 'auth.example.com.' } },
    'domain.name: must be a lower-case DNS name',
  ],
  [
    'a hosted zone ID with its path',
    { domain: { ...domain, hostedZoneId: '/hostedzone/Z0123' } },
    'domain.hostedZoneId: must be a Route 53 hosted zone ID such as Z0123456789ABC, ' +
      'without /hostedzone/ (got "/hostedzone/Z0123")',
  ],
  [
    'a domain without its zone name',
    { domain: { name: domain.name, hostedZoneId: domain.hostedZoneId } },
    'domain.hostedZoneName: must be a lower-case DNS name such as auth.example.com, ' +
      'without a final dot (it is not set)',
  ],
  [
    'an access token lifetime below 60',
    { tokenLifetimes: { accessTokenSeconds: 59 } },
    'tokenLifetimes.accessTokenSeconds: must be a whole number of seconds from 60 to 86400 ' +
      '(got 59)',
  ],
  [
    'a fractional code lifetime',
    { tokenLifetimes: { authorizationCodeSeconds: 30.5 } },
    'tokenLifetimes.authorizationCodeSeconds: must be a whole number of seconds from 10 to 600',
  ],
  [
    'a lifetime given as a string',
    { tokenLifetimes: { sessionSeconds: '3600' } },
    'tokenLifetimes.sessionSeconds: must be a whole number of seconds from 60 to 2592000 ' +
      '(got "3600")',
  ],
  [
    'an ID token lifetime above a day',
    { tokenLifetimes: { idTokenSeconds: 86_401 } },
    'tokenLifetimes.idTokenSeconds: must be a whole number of seconds from 60 to 86400 ' +
      '(got 86401)',
  ],
  [
    'a key rotation period of 0 days',
    { signingKeys: { rotationDays: 0 } },
    'signingKeys.rotationDays: must be a whole number of days from 1 to 365 (got 0)',
  ],
  [
    'a fractional key rotation period',
    { signingKeys: { rotationDays: 7.5 } },
    'signingKeys.rotationDays: must be a whole number of days from 1 to 365 (got 7.5)',
  ],
  [
    'an unknown signing key property',
    { signingKeys: { rotationHours: 24 } },
    'signingKeys: unknown property "rotationHours"',
  ],
  [
    'a reuse grace above 60',
    { tokenLifetimes: { refreshTokenReuseGraceSeconds: 61 } },
    'tokenLifetimes.refreshTokenReuseGraceSeconds: must be a whole number of seconds from 0 to 60',
  ],
  [
    'an idle limit above the absolute limit',
    { tokenLifetimes: { refreshTokenIdleSeconds: 7200, refreshTokenAbsoluteSeconds: 3600 } },
    'tokenLifetimes.refreshTokenIdleSeconds: 7200 must not exceed refreshTokenAbsoluteSeconds ' +
      '(3600)',
  ],
  [
    'an unknown log level',
    { logging: { level: 'VERBOSE' } },
    'logging.level: must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT',
  ],
  [
    'a log retention CloudWatch does not offer',
    { logging: { retentionDays: 10 } },
    'logging.retentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ' +
      '400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999 days (got 10)',
  ],
  [
    'a bad e-mail address',
    { alarms: { email: 'ops' } },
    'alarms.email: must be an e-mail address (got "ops")',
  ],
  [
    'both e-mail and topics',
    { alarms: { email: 'ops@example.com', topicArns: { 'us-east-1': arn('us-east-1') } } },
    'alarms: set either email or topicArns, not both',
  ],
  ['empty alarms', { alarms: {} }, 'alarms: set email or topicArns, or leave alarms out'],
  [
    'a topic ARN of another service',
    { alarms: { topicArns: { 'us-east-1': 'arn:aws:sqs:us-east-1:123456789012:q' } } },
    'alarms.topicArns.us-east-1: must be the ARN of a standard SNS topic',
  ],
  [
    'a FIFO topic',
    { alarms: { topicArns: { 'us-east-1': `${arn('us-east-1')}.fifo` } } },
    'alarms.topicArns.us-east-1: must be the ARN of a standard SNS topic',
  ],
  [
    'a topic in another region',
    { alarms: { topicArns: { 'us-east-1': arn('eu-west-1') } } },
    'alarms.topicArns.us-east-1: the topic is in eu-west-1, but an alarm notifies only a ' +
      'topic in its own region',
  ],
  [
    'a region without a topic',
    {
      regions: ['us-east-1', 'eu-west-1'],
      alarms: { topicArns: { 'us-east-1': arn('us-east-1') } },
    },
    'alarms.topicArns: missing a topic for eu-west-1; each region with alarms needs a topic ' +
      'in that region',
  ],
  [
    'a domain without a us-east-1 topic',
    { regions: ['eu-west-1'], domain, alarms: { topicArns: { 'eu-west-1': arn('eu-west-1') } } },
    'alarms.topicArns: missing a topic for us-east-1; each region with alarms needs a topic in ' +
      'that region, and the health check alarms are in us-east-1',
  ],
  [
    'a topic for a region without a stack',
    {
      regions: ['eu-west-1'],
      alarms: { topicArns: { 'eu-west-1': arn('eu-west-1'), 'us-west-2': arn('us-west-2') } },
    },
    'alarms.topicArns.us-west-2: no stack with alarms is deployed to us-west-2 ' +
      '(stacks: eu-west-1)',
  ],
  [
    'zero reserved concurrency',
    { tokenFunction: { reservedConcurrency: 0 } },
    'tokenFunction.reservedConcurrency: must be a whole number from 1 to 10000 (got 0)',
  ],
  [
    'a provisioned maximum below the minimum',
    { tokenFunction: { provisionedConcurrency: { min: 5, max: 2 } } },
    'tokenFunction.provisionedConcurrency.max: 2 must be at least min (5)',
  ],
  [
    'provisioned above reserved concurrency',
    { tokenFunction: { reservedConcurrency: 10, provisionedConcurrency: { min: 5, max: 20 } } },
    'tokenFunction.provisionedConcurrency.max: 20 must not exceed ' +
      'tokenFunction.reservedConcurrency (10)',
  ],
  [
    'a target utilization above 0.9',
    { tokenFunction: { provisionedConcurrency: { min: 1, max: 2, targetUtilization: 0.95 } } },
    'tokenFunction.provisionedConcurrency.targetUtilization: must be a number from 0.1 to 0.9 ' +
      '(got 0.95)',
  ],
  [
    'a negative rate limit',
    { throttling: { rateLimit: -1 } },
    'throttling.rateLimit: must be a positive number of requests per second (got -1)',
  ],
  [
    'a fractional burst limit',
    { throttling: { burstLimit: 1.5 } },
    'throttling.burstLimit: must be a whole number of requests, at least 1 (got 1.5)',
  ],
  ['tracing as a string', { tracing: 'yes' }, 'tracing: must be true or false (got "yes")'],
];

describe('parseDeployConfig errors', () => {
  it.each(invalidConfigs)('rejects %s', (_case, input, message) => {
    expect(() => parseDeployConfig(input)).toThrow(DeployConfigError);
    expect(() => parseDeployConfig(input)).toThrow(message);
  });

  it('lists every problem at once', () => {
    const input = { regions: ['eu-west'], tracing: 'yes', logging: { level: 'LOUD' } };

    expect(() => parseDeployConfig(input, {}, 'deploy.config.ts')).toThrow(
      /^Invalid deploy\.config\.ts:\n {2}regions\[0\]: .*\n {2}logging\.level: .*\n {2}tracing: /,
    );
  });
});

describe('parseDeployConfig defaults', () => {
  it('deploys one region without a domain', () => {
    const config = parseDeployConfig({});

    expect(config).toEqual({
      stackNamePrefix: 'AuthorizationServer',
      account: undefined,
      regions: ['us-east-1'],
      primaryRegion: 'us-east-1',
      consistency: 'eventual',
      table: { name: 'oauth-server', deletionProtection: true, removalPolicy: 'retain' },
      domain: undefined,
      tokenLifetimes: {
        accessTokenSeconds: 3600,
        idTokenSeconds: 300,
        authorizationCodeSeconds: 60,
        refreshTokenIdleSeconds: 1_209_600,
        refreshTokenAbsoluteSeconds: 7_776_000,
        refreshTokenReuseGraceSeconds: 10,
        sessionSeconds: 43_200,
      },
      signingKeys: { rotationDays: 30 },
      logging: { level: 'INFO', retentionDays: 90 },
      alarms: {},
      tokenFunction: { reservedConcurrency: undefined, provisionedConcurrency: undefined },
      throttling: undefined,
      tracing: false,
    });
  });

  it('takes region and account from the CDK environment', () => {
    const config = parseDeployConfig({}, { region: 'eu-central-1', account: '111122223333' });

    expect(config.regions).toEqual(['eu-central-1']);
    expect(config.account).toBe('111122223333');
  });

  it('prefers the file to the CDK environment', () => {
    const config = parseDeployConfig(
      { regions: ['eu-west-1'], account: '444455556666' },
      { region: 'eu-central-1', account: '111122223333' },
    );

    expect(config.regions).toEqual(['eu-west-1']);
    expect(config.account).toBe('444455556666');
  });

  it('puts the primary region first', () => {
    const config = parseDeployConfig({
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      primaryRegion: 'eu-west-1',
    });

    expect(config.regions).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    expect(config.primaryRegion).toBe('eu-west-1');
  });

  it('defaults the target utilization to 0.7', () => {
    const config = parseDeployConfig({
      tokenFunction: { provisionedConcurrency: { min: 1, max: 4 } },
    });

    expect(config.tokenFunction.provisionedConcurrency).toEqual({
      min: 1,
      max: 4,
      targetUtilization: 0.7,
    });
  });

  it('parses the example file', () => {
    const config = parseDeployConfig(exampleConfig);

    expect(config.regions).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    expect(config.domain?.name).toBe('auth.example.com');
  });
});

/** The ServerConfig field that each lifetime setting becomes in the functions. */
const serverConfigFields: Record<TokenLifetimeName, keyof ServerConfig> = {
  accessTokenSeconds: 'accessTokenLifetimeSeconds',
  idTokenSeconds: 'idTokenLifetimeSeconds',
  authorizationCodeSeconds: 'authorizationCodeLifetimeSeconds',
  refreshTokenIdleSeconds: 'refreshTokenIdleSeconds',
  refreshTokenAbsoluteSeconds: 'refreshTokenAbsoluteSeconds',
  refreshTokenReuseGraceSeconds: 'refreshTokenReuseGraceSeconds',
  sessionSeconds: 'sessionLifetimeSeconds',
};

const runtimeBase = {
  ISSUER: 'https://auth.example.com',
  TABLE_NAME: 'oauth-server',
  AWS_REGION: 'eu-west-1',
};

describe('token lifetime ranges', () => {
  it.each(tokenLifetimeNames)('%s matches the functions', (name) => {
    const { variable, min, max, defaultSeconds } = tokenLifetimeSettings[name];
    const runtime = (value?: number) => {
      const environment = value === undefined ? {} : { [variable]: String(value) };
      return loadServerConfig({ ...runtimeBase, ...environment });
    };
    const deploy = (value: number) => {
      // The idle limit must not exceed the absolute one, so both move together here.
      const lifetimes =
        name === 'refreshTokenIdleSeconds' || name === 'refreshTokenAbsoluteSeconds'
          ? { refreshTokenIdleSeconds: value, refreshTokenAbsoluteSeconds: value }
          : { [name]: value };
      return parseDeployConfig({ tokenLifetimes: lifetimes });
    };

    expect(runtime()[serverConfigFields[name]]).toBe(defaultSeconds);
    expect(parseDeployConfig({}).tokenLifetimes[name]).toBe(defaultSeconds);
    for (const accepted of [min, max]) {
      expect(runtime(accepted)[serverConfigFields[name]]).toBe(accepted);
      expect(deploy(accepted).tokenLifetimes[name]).toBe(accepted);
    }
    for (const rejected of [min - 1, max + 1]) {
      expect(() => runtime(rejected)).toThrow(variable);
      expect(() => deploy(rejected)).toThrow(`tokenLifetimes.${name}`);
    }
  });
});

describe('key rotation range', () => {
  it('matches the functions', () => {
    const { variable, min, max, defaultDays } = keyRotationSetting;
    const runtime = (value?: number) => {
      const environment = value === undefined ? {} : { [variable]: String(value) };
      return loadServerConfig({ ...runtimeBase, ...environment });
    };
    const deploy = (value: number) => parseDeployConfig({ signingKeys: { rotationDays: value } });

    expect(runtime().keyRotationDays).toBe(defaultDays);
    expect(parseDeployConfig({}).signingKeys.rotationDays).toBe(defaultDays);
    for (const accepted of [min, max]) {
      expect(runtime(accepted).keyRotationDays).toBe(accepted);
      expect(deploy(accepted).signingKeys.rotationDays).toBe(accepted);
    }
    for (const rejected of [min - 1, max + 1]) {
      expect(() => runtime(rejected)).toThrow(variable);
      expect(() => deploy(rejected)).toThrow('signingKeys.rotationDays');
    }
  });
});

describe('loadDeployConfig', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'deploy-config-'));
  const environment = { region: 'eu-central-1' };

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('returns the defaults without deploy.config.ts', async () => {
    const config = await loadDeployConfig({ directory, environment });

    expect(config.regions).toEqual(['eu-central-1']);
  });

  it('rejects a named file that does not exist', async () => {
    await expect(loadDeployConfig({ directory, environment, file: 'prod.ts' })).rejects.toThrow(
      `Deploy configuration file not found: ${path.join(directory, 'prod.ts')}`,
    );
  });

  it('rejects a file without a default export', async () => {
    writeFileSync(path.join(directory, 'no-default.ts'), 'export const regions = [];\n');

    await expect(
      loadDeployConfig({ directory, environment, file: 'no-default.ts' }),
    ).rejects.toThrow('it must have a default export');
  });

  it('names the file in validation errors', async () => {
    writeFileSync(path.join(directory, 'deploy.config.ts'), 'export default { tracing: 1 };\n');

    await expect(loadDeployConfig({ directory, environment })).rejects.toThrow(
      `Invalid deploy configuration ${path.join(directory, 'deploy.config.ts')}:\n  tracing:`,
    );
  });

  it('loads the example file', async () => {
    const config = await loadDeployConfig({
      directory: repositoryRoot,
      environment,
      file: 'deploy.config.example.ts',
    });

    expect(config.primaryRegion).toBe('eu-west-1');
  });
});

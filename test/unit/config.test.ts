import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadServerConfig } from '../../functions/config.ts';

const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';

const REQUIRED = {
  ISSUER: 'https://auth.example.com',
  TABLE_NAME: 'oauth-server',
  AWS_REGION: 'eu-west-1',
};

/** Loads a configuration that must fail and returns the error's message. */
function failureMessage(environment: NodeJS.ProcessEnv): string {
  let thrown: unknown;
  try {
    loadServerConfig(environment);
  } catch (error) {
    thrown = error;
  }

  expect(thrown).toBeInstanceOf(ConfigurationError);
  return (thrown as ConfigurationError).message;
}

describe('loadServerConfig', () => {
  it('applies defaults', () => {
    const config = loadServerConfig(REQUIRED);

    expect(config).toEqual({
      issuer: 'https://auth.example.com',
      tableName: 'oauth-server',
      accessTokenLifetimeSeconds: 3600,
      idTokenLifetimeSeconds: 300,
      accessTokenAudience: 'https://auth.example.com',
      memoryCacheSeconds: 60,
      authorizationCodeLifetimeSeconds: 60,
      refreshTokenIdleSeconds: 1_209_600,
      refreshTokenAbsoluteSeconds: 7_776_000,
      refreshTokenReuseGraceSeconds: 10,
      sessionLifetimeSeconds: 43_200,
      dynamodb: { region: 'eu-west-1', endpoint: undefined },
      consistencyMode: 'eventual',
      tableRegions: ['eu-west-1'],
      regionEndpoints: {},
      keyRotationDays: 30,
      keyEncryption: undefined,
    });
  });

  it('reads the replica regions', () => {
    const config = loadServerConfig({
      ...REQUIRED,
      CONSISTENCY_MODE: 'strong',
      TABLE_REGIONS: 'us-east-1, eu-west-1,us-west-2',
      DYNAMODB_REGION_ENDPOINTS: 'us-east-1=http://127.0.0.1:4001',
    });

    expect(config.consistencyMode).toBe('strong');
    expect(config.tableRegions).toEqual(['us-east-1', 'eu-west-1', 'us-west-2']);
    expect(config.regionEndpoints).toEqual({ 'us-east-1': 'http://127.0.0.1:4001' });
  });

  it('rejects replica regions without its own', () => {
    expect(() => loadServerConfig({ ...REQUIRED, TABLE_REGIONS: 'us-east-1' })).toThrow(
      'TABLE_REGIONS must include AWS_REGION eu-west-1',
    );
  });

  it.each([
    ['CONSISTENCY_MODE', 'fast', 'CONSISTENCY_MODE must be eventual or strong'],
    ['TABLE_REGIONS', 'us-east-1;eu-west-1', 'TABLE_REGIONS must be AWS regions separated'],
    ['DYNAMODB_REGION_ENDPOINTS', 'us-east-1', 'DYNAMODB_REGION_ENDPOINTS must be region=URL'],
  ])('rejects %s=%s', (variable, value, message) => {
    expect(() => loadServerConfig({ ...REQUIRED, [variable]: value })).toThrow(message);
  });

  it('reads every variable', () => {
    const config = loadServerConfig({
      ...REQUIRED,
      ACCESS_TOKEN_LIFETIME_SECONDS: '900',
      ID_TOKEN_LIFETIME_SECONDS: '600',
      ACCESS_TOKEN_AUDIENCE: 'https://api.example.com',
      MEMORY_CACHE_SECONDS: '0',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
    });

    expect(config.accessTokenLifetimeSeconds).toBe(900);
    expect(config.idTokenLifetimeSeconds).toBe(600);
    expect(config.accessTokenAudience).toBe('https://api.example.com');
    expect(config.memoryCacheSeconds).toBe(0);
    expect(config.dynamodb.endpoint).toBe('http://127.0.0.1:4567');
  });

  it('reads key settings', () => {
    const config = loadServerConfig({
      ...REQUIRED,
      KEY_ROTATION_DAYS: '90',
      KEY_ENCRYPTION_KMS_KEY_ID: KMS_KEY_ARN,
    });

    expect(config.keyRotationDays).toBe(90);
    expect(config.keyEncryption).toEqual({ kind: 'kms', keyId: KMS_KEY_ARN });
  });

  it('reads key encryption key file', () => {
    const config = loadServerConfig({ ...REQUIRED, KEY_ENCRYPTION_KEY_FILE: '/data/kek' });

    expect(config.keyEncryption).toEqual({ kind: 'local-file', path: '/data/kek' });
  });

  it('rejects both key encryption settings', () => {
    const message = failureMessage({
      ...REQUIRED,
      KEY_ENCRYPTION_KMS_KEY_ID: KMS_KEY_ARN,
      KEY_ENCRYPTION_KEY_FILE: '/data/kek',
    });

    expect(message).toBe(
      'Invalid configuration:\n  set only one of KEY_ENCRYPTION_KMS_KEY_ID (on AWS) and ' +
        'KEY_ENCRYPTION_KEY_FILE (locally)',
    );
  });

  it('ignores unrelated variables', () => {
    const config = loadServerConfig({ ...REQUIRED, PATH: '/usr/bin', HOME: '/root' });

    expect(config.tableName).toBe('oauth-server');
  });

  it.each([
    ['https://auth.example.com/', 'https://auth.example.com'],
    ['https://auth.example.com/tenant/', 'https://auth.example.com/tenant'],
    ['https://auth.example.com/tenant//', 'https://auth.example.com/tenant'],
  ])('removes trailing slash of %s', (issuer, expected) => {
    const config = loadServerConfig({ ...REQUIRED, ISSUER: issuer });

    expect(config.issuer).toBe(expected);
    expect(config.accessTokenAudience).toBe(expected);
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'])(
    'accepts http issuer %s',
    (issuer) => {
      const config = loadServerConfig({ ...REQUIRED, ISSUER: issuer });

      expect(config.issuer).toBe(issuer);
    },
  );

  it('treats empty strings as unset', () => {
    const config = loadServerConfig({
      ...REQUIRED,
      ACCESS_TOKEN_LIFETIME_SECONDS: '',
      ACCESS_TOKEN_AUDIENCE: '',
      MEMORY_CACHE_SECONDS: '',
      DYNAMODB_ENDPOINT: '',
    });

    expect(config.accessTokenLifetimeSeconds).toBe(3600);
    expect(config.accessTokenAudience).toBe('https://auth.example.com');
    expect(config.memoryCacheSeconds).toBe(60);
    expect(config.dynamodb.endpoint).toBeUndefined();
  });

  it.each([
    ['ISSUER', 'not a url', 'ISSUER must be an http(s) URL'],
    ['ISSUER', 'auth.example.com', 'ISSUER must be an http(s) URL'],
    ['ISSUER', 'http://', 'ISSUER must be an http(s) URL'],
    ['ISSUER', 'ftp://auth.example.com', 'ISSUER must be an http(s) URL'],
    ['ISSUER', 'http://auth.example.com', 'ISSUER must use https, except on localhost'],
    ['ISSUER', 'http://localhost.example.com', 'ISSUER must use https, except on localhost'],
    ['ISSUER', 'https://auth.example.com/?tenant=1', 'ISSUER must have no query or fragment'],
    ['ISSUER', 'https://auth.example.com/#top', 'ISSUER must have no query or fragment'],
    ['ACCESS_TOKEN_LIFETIME_SECONDS', 'abc', 'must be a whole number of seconds from 60 to 86400'],
    ['ACCESS_TOKEN_LIFETIME_SECONDS', '10', 'must be a whole number of seconds from 60 to 86400'],
    ['ACCESS_TOKEN_LIFETIME_SECONDS', '1.5', 'must be a whole number of seconds from 60 to 86400'],
    ['ACCESS_TOKEN_LIFETIME_SECONDS', '86401', 'must be a whole number of seconds'],
    ['ID_TOKEN_LIFETIME_SECONDS', '59', 'must be a whole number of seconds from 60 to 86400'],
    ['ID_TOKEN_LIFETIME_SECONDS', '86401', 'must be a whole number of seconds from 60 to 86400'],
    ['MEMORY_CACHE_SECONDS', '0x3c', 'must be a whole number of seconds from 0 to 3600'],
    ['MEMORY_CACHE_SECONDS', ' ', 'must be a whole number of seconds from 0 to 3600'],
    ['MEMORY_CACHE_SECONDS', '-1', 'must be a whole number of seconds from 0 to 3600'],
    ['MEMORY_CACHE_SECONDS', '3601', 'must be a whole number of seconds from 0 to 3600'],
    ['TABLE_NAME', 'ab', 'TABLE_NAME must be a DynamoDB table name'],
    ['TABLE_NAME', 'oauth server', 'TABLE_NAME must be a DynamoDB table name'],
    ['AWS_REGION', 'moon', 'AWS_REGION must name an AWS region such as eu-west-1'],
    ['AWS_REGION', 'EU-WEST-1', 'AWS_REGION must name an AWS region such as eu-west-1'],
    ['DYNAMODB_ENDPOINT', 'not a url', 'DYNAMODB_ENDPOINT must be an http(s) URL'],
    ['DYNAMODB_ENDPOINT', 'ftp://127.0.0.1:4567', 'DYNAMODB_ENDPOINT must be an http(s) URL'],
    ['KEY_ROTATION_DAYS', '0', 'must be a whole number of days from 1 to 365'],
    ['KEY_ROTATION_DAYS', '366', 'must be a whole number of days from 1 to 365'],
    ['KEY_ROTATION_DAYS', '7d', 'must be a whole number of days from 1 to 365'],
    ['KEY_ENCRYPTION_KMS_KEY_ID', 'alias/oauth', 'must be the ARN of a KMS key'],
    ['KEY_ENCRYPTION_KMS_KEY_ID', 'mrk-1234abcd', 'must be the ARN of a KMS key'],
  ])('rejects %s=%j', (variable, value, expected) => {
    const message = failureMessage({ ...REQUIRED, [variable]: value });

    expect(message).toContain(`${variable} `);
    expect(message).toContain(expected);
    expect(message).toContain(`(got ${JSON.stringify(value)})`);
  });

  it.each(['ISSUER', 'TABLE_NAME', 'AWS_REGION'])('rejects missing %s', (variable) => {
    const message = failureMessage({ ...REQUIRED, [variable]: undefined });

    expect(message).toContain(`${variable} `);
    expect(message).toContain('(it is not set)');
  });

  it('rejects empty TABLE_NAME as missing', () => {
    const message = failureMessage({ ...REQUIRED, TABLE_NAME: '' });

    expect(message).toContain('TABLE_NAME must name the DynamoDB table (it is not set)');
  });

  it('names every invalid variable', () => {
    const message = failureMessage({
      ...REQUIRED,
      AWS_REGION: 'moon',
      ACCESS_TOKEN_LIFETIME_SECONDS: 'abc',
    });

    expect(message).toContain('AWS_REGION must name an AWS region');
    expect(message).toContain('ACCESS_TOKEN_LIFETIME_SECONDS must be a whole number');
  });
});

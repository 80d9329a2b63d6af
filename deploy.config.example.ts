/**
 * An example deployment configuration: three regions behind one custom domain. Copy it to
 * deploy.config.ts and edit the values; `cdk synth` validates every one and names each that is
 * wrong. Without deploy.config.ts the app deploys one region with no domain. docs/deploy.md
 * explains each setting, and lib/config/deploy-config.ts lists every property with its default.
 */
import { defineDeployConfig } from './lib/config/deploy-config.ts';

export default defineDeployConfig({
  regions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
  // The table resource lives in this region's stack. Changing it later replaces the table.
  primaryRegion: 'eu-west-1',
  consistency: 'eventual',
  domain: {
    name: 'auth.example.com',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
  },
  tokenLifetimes: {
    accessTokenSeconds: 900,
    idTokenSeconds: 300,
    refreshTokenIdleSeconds: 1_209_600,
    refreshTokenAbsoluteSeconds: 7_776_000,
  },
  signingKeys: { rotationDays: 30 },
  logging: { level: 'INFO', retentionDays: 90 },
  alarms: { email: 'oauth-oncall@example.com' },
  tokenFunction: {
    reservedConcurrency: 200,
    provisionedConcurrency: { min: 2, max: 50, targetUtilization: 0.7 },
  },
  throttling: { rateLimit: 1000, burstLimit: 2000 },
  tracing: false,
});

/**
 * The proposed functions/http/metrics.ts: the same metrics, but countTokenIssued reuses one
 * single-metric instance per grant type, with the grant type as a default dimension, instead
 * of constructing a Metrics object (and a Console) for every token.
 * Only bench/experiments/proposals-hooks.ts loads it.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'OAuthServer';

export const metrics = new Metrics({ namespace, serviceName: 'oauth-server' });

export type CountedEvent =
  | 'LoginFailures'
  | 'StorageFaults'
  | 'ServerErrors'
  | 'HomeRegionFallbacks'
  | 'Revocations';

export function countEvent(event: CountedEvent): void {
  metrics.addMetric(event, MetricUnit.Count, 1);
}

const tokenMetrics = new Map<string, Metrics>();

export function countTokenIssued(grantType: string): void {
  let single = tokenMetrics.get(grantType);
  if (single === undefined) {
    // Default dimensions survive the publishing after each metric; other dimensions do not.
    single = new Metrics({
      namespace,
      serviceName: 'oauth-server',
      singleMetric: true,
      defaultDimensions: { grantType },
    });
    tokenMetrics.set(grantType, single);
  }
  single.addMetric('TokensIssued', MetricUnit.Count, 1);
}

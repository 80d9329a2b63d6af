/**
 * Business and fault metrics in CloudWatch embedded metric format (Powertools for AWS Lambda):
 * tokens issued per grant type, failed logins, storage faults, server errors and home-region
 * fallbacks. They are written as log lines, so they cost no API call. The namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE; POWERTOOLS_METRICS_DISABLED=true turns them off, as the local
 * server does.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'OAuthServer',
  serviceName: 'oauth-server',
});

export type CountedEvent =
  | 'LoginFailures'
  | 'StorageFaults'
  | 'ServerErrors'
  | 'HomeRegionFallbacks'
  | 'Revocations';

/** Counts one event of a kind, published with the invocation's other metrics. */
export function countEvent(event: CountedEvent): void {
  metrics.addMetric(event, MetricUnit.Count, 1);
}

/** Counts an issued token under its grant type, as its own metric with that dimension. */
export function countTokenIssued(grantType: string): void {
  const single = metrics.singleMetric();
  single.addDimension('grantType', grantType);
  single.addMetric('TokensIssued', MetricUnit.Count, 1);
}

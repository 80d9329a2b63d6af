/**
 * Business and fault metrics in CloudWatch embedded metric format (Powertools for AWS Lambda):
 * tokens issued per grant type, failed logins, storage faults, server errors and home-region
 * fallbacks. They are written as log lines, so they cost no API call. The namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE; POWERTOOLS_METRICS_DISABLED=true turns them off, as the local
 * server does.
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

/** Counts one event of a kind, published with the invocation's other metrics. */
export function countEvent(event: CountedEvent): void {
  metrics.addMetric(event, MetricUnit.Count, 1);
}

/** Single-metric publishers, one per grant type, created once: the token path is hot. */
const tokenMetrics = new Map<string, Metrics>();

/** Counts an issued token under its grant type, as its own metric with that dimension. */
export function countTokenIssued(grantType: string): void {
  let publisher = tokenMetrics.get(grantType);
  if (publisher === undefined) {
    // Default dimensions survive the publishing after each metric; added dimensions do not.
    publisher = new Metrics({
      namespace,
      serviceName: 'oauth-server',
      singleMetric: true,
      defaultDimensions: { grantType },
    });
    tokenMetrics.set(grantType, publisher);
  }
  publisher.addMetric('TokensIssued', MetricUnit.Count, 1);
}

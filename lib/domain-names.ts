/**
 * The DNS names of a deployment with a custom domain. They are derived from the domain and the
 * region alone, so the us-east-1 DNS stack can name each region's records without a reference
 * to the regional stacks, which CloudFormation cannot resolve across regions.
 *
 * For `auth.example.com` in eu-west-1:
 * - `auth.example.com`: what clients use, a latency record per region.
 * - `eu-west-1.auth.example.com`: the region's own host name, which serves the same API. Route
 *   53 health checks call it, and operators can use it to reach one region.
 * - `eu-west-1-origin.auth.example.com`: an alias of the API Gateway endpoint of
 *   `auth.example.com` in eu-west-1. The latency records point to it, so a client that resolves
 *   `auth.example.com` reaches that endpoint. No certificate names it, so it is not meant for
 *   clients.
 */

/** Returns the issuer identifier of a custom domain. */
export function issuerOf(domainName: string): string {
  return `https://${domainName}`;
}

/** Returns the host name that serves the API in one region only. */
export function regionalHostname(domainName: string, region: string): string {
  return `${region}.${domainName}`;
}

/** Returns the name that the region's latency record points to. */
export function originRecordName(domainName: string, region: string): string {
  return `${region}-origin.${domainName}`;
}

/** Path of the health endpoint in the route table. */
export const healthPath = '/health';

/**
 * The region sets in which DynamoDB offers multi-Region strong consistency (MRSC). A strongly
 * consistent global table needs three replicas in one set. These are the sets that the
 * validation of aws-cdk-lib 2.278's TableV2 accepts, so a configuration that passes this check
 * also passes the library's.
 *
 * TableV2 also accepts two replicas plus a witness region. This deployment does not offer that,
 * because the witness serves no requests and so cannot be one of the server's regions.
 */

export const strongConsistencyRegionSets: Readonly<Record<string, readonly string[]>> = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
};

export const strongConsistencyReplicaCount = 3;

/** Returns why the regions cannot hold a strongly consistent table, or undefined if they can. */
export function strongConsistencyProblem(regions: readonly string[]): string | undefined {
  if (regions.length !== strongConsistencyReplicaCount) {
    return (
      `"strong" requires exactly ${strongConsistencyReplicaCount} regions, ` +
      `got ${regions.length} (${regions.join(', ')})`
    );
  }
  const fitsOneSet = Object.values(strongConsistencyRegionSets).some((set) =>
    regions.every((region) => set.includes(region)),
  );
  if (fitsOneSet) return undefined;

  const sets = Object.entries(strongConsistencyRegionSets)
    .map(([name, set]) => `${name} (${set.join(', ')})`)
    .join(', ');
  return (
    `"strong" requires all three regions from one of the sets ${sets}, ` +
    `got ${regions.join(', ')}`
  );
}

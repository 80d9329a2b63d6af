/**
 * Summaries of a V8 CPU profile (`node --cpu-prof`): self and inclusive time per function and
 * per package, counted over the samples of a time window at the end of the profile.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

export interface TimeShare {
  name: string;
  milliseconds: number;
  /** Share of the busy time: every sample except `(idle)`. */
  percent: number;
}

export interface ProfileSummary {
  windowMilliseconds: number;
  busyMilliseconds: number;
  idleMilliseconds: number;
  selfByFunction: TimeShare[];
  selfByPackage: TimeShare[];
  inclusiveByPackage: TimeShare[];
  inclusiveByFunction: TimeShare[];
}

/**
 * Summarizes the samples of the last `windowMilliseconds` of a profile, so that the startup
 * before a load run stays out.
 */
export function summarizeProfile(path: string, windowMilliseconds: number, top = 40): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }

  const windowStart = profile.endTime - windowMilliseconds * 1000;
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  const inclusiveByPackage = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let timestamp = profile.startTime;

  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0;
    timestamp += delta;
    if (timestamp < windowStart) continue;
    const node = nodes.get(profile.samples[index] ?? -1);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += delta;
      continue;
    }
    busy += delta;
    add(selfByFunction, functionKey(node), delta);
    add(selfByPackage, packageOf(node), delta);

    const seenFunctions = new Set<string>();
    const seenPackages = new Set<string>();
    for (let current: number | undefined = node.id; current !== undefined; current = parents.get(current)) {
      const frame = nodes.get(current);
      if (frame === undefined || frame.callFrame.functionName === '(root)') continue;
      seenFunctions.add(functionKey(frame));
      seenPackages.add(packageOf(frame));
    }
    for (const key of seenFunctions) add(inclusiveByFunction, key, delta);
    for (const key of seenPackages) add(inclusiveByPackage, key, delta);
  }

  const shares = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, microseconds]) => ({
        name,
        milliseconds: microseconds / 1000,
        percent: (microseconds / busy) * 100,
      }));

  return {
    windowMilliseconds,
    busyMilliseconds: busy / 1000,
    idleMilliseconds: idle / 1000,
    selfByFunction: shares(selfByFunction),
    selfByPackage: shares(selfByPackage),
    inclusiveByPackage: shares(inclusiveByPackage),
    inclusiveByFunction: shares(inclusiveByFunction),
  };
}

function add(totals: Map<string, number>, key: string, value: number): void {
  totals.set(key, (totals.get(key) ?? 0) + value);
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  return `${name} ${shortenUrl(url)}:${lineNumber + 1}`;
}

/** Returns the npm package of a frame, `node:` for Node.js internals, or the project folder. */
function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1] !== undefined) return inModules[1];
  if (url.startsWith('node:')) return 'node: (Node.js internals)';
  const project = /\/(functions\/[^/]+|bin\/local|bin|bench)\//.exec(url);
  return project?.[1] ?? shortenUrl(url);
}

function shortenUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules !== -1) return url.slice(inModules + 'node_modules/'.length);
  const project = /\/(functions|bin|bench|lib)\/.*/.exec(url);
  return project?.[0].slice(1) ?? url.replace(/^file:\/\//, '');
}

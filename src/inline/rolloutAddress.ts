// The address of one sample shown as a read-only editor document (`rlstudio-rollout:` URIs).
// A training rollout is (run, step, prompt index, sample in its group); an evaluation sample will be
// (run, eval id, checkpoint, prompt id, sample index) once evals are readable here. The URI's query
// carries the address; its path only names the tab. Pure: the wiring turns these into vscode.Uri.

export const ROLLOUT_SCHEME = 'rlstudio-rollout';

export type RolloutAddress =
  | { kind: 'step'; runDir: string; runName: string; step: number; prompt: number; sample: number }
  | { kind: 'eval'; runDir: string; runName: string; evalId: string; checkpoint: string; promptId: number; sample: number };

export interface UriParts {
  path: string;
  query: string;
}

export function formatAddress(address: RolloutAddress): UriParts {
  const query = new URLSearchParams({ run: address.runDir, name: address.runName });
  let title: string;
  if (address.kind === 'step') {
    query.set('step', String(address.step));
    query.set('prompt', String(address.prompt));
    title = `step ${address.step} · prompt ${address.prompt} · sample ${address.sample}`;
  } else {
    query.set('eval', address.evalId);
    query.set('checkpoint', address.checkpoint);
    query.set('prompt', String(address.promptId));
    title = `eval ${address.evalId} · checkpoint ${address.checkpoint} · prompt ${address.promptId} · sample ${address.sample}`;
  }
  query.set('sample', String(address.sample));
  // A path segment may not hold '/': names are shown, not parsed.
  return { path: `/${address.runName.replace(/\//g, '∕')}/${title.replace(/\//g, '∕')}.rollout`, query: query.toString() };
}

/** What an address asks for, in words (an error document's first line). */
export function describeAddress(address: RolloutAddress): string {
  return address.kind === 'step'
    ? `run ${address.runDir}, step ${address.step}, prompt ${address.prompt}, sample ${address.sample}`
    : `run ${address.runDir}, eval ${address.evalId}, checkpoint ${address.checkpoint}, prompt ${address.promptId}, sample ${address.sample}`;
}

export class AddressError extends Error {}

export function parseAddress(query: string): RolloutAddress {
  const q = new URLSearchParams(query);
  const runDir = q.get('run');
  if (!runDir) throw new AddressError('the address names no run folder (query parameter "run")');
  const runName = q.get('name') ?? runDir;
  const sample = integer(q, 'sample');
  if (q.has('eval')) {
    const checkpoint = q.get('checkpoint');
    if (!checkpoint) throw new AddressError('the address names no checkpoint (query parameter "checkpoint")');
    return { kind: 'eval', runDir, runName, evalId: q.get('eval')!, checkpoint, promptId: integer(q, 'prompt'), sample };
  }
  return { kind: 'step', runDir, runName, step: integer(q, 'step'), prompt: integer(q, 'prompt'), sample };
}

function integer(q: URLSearchParams, name: string): number {
  const text = q.get(name);
  const value = text === null ? Number.NaN : Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AddressError(`query parameter "${name}" is ${text === null ? 'missing' : `'${text}', not a whole number ≥ 0`}`);
  }
  return value;
}

/** The same address with other fields (a sibling sample, another step). */
export function withStep(address: Extract<RolloutAddress, { kind: 'step' }>, change: Partial<{ step: number; prompt: number; sample: number }>): RolloutAddress {
  return { ...address, ...change };
}

// Reads an evaluation sample for a rollout document: the sample's row of <run>/evals/<id>/<checkpoint>.parquet
// through the eval reader (src/evals/), turned into the shape the document builder and the token heat
// read. Failures name what is missing (the eval, the checkpoint's samples, the prompt, the sample) as a
// SourceError. No `vscode` import.

import { EvalFileError, readManifest, type EvalSampleReader } from '../evals/evalReader';
import type { EvalManifest, EvalSample } from '../evals/evalTypes';
import type { RolloutDetail, RolloutScore } from '../runs/rolloutTypes';
import { evalPaths, isSafeName } from '../runs/runFormat';
import type { RolloutAddress } from './rolloutAddress';
import { SourceError } from './sourceError';

type EvalAddress = Extract<RolloutAddress, { kind: 'eval' }>;

export interface LoadedEvalSample {
  manifest: EvalManifest;
  sample: EvalSample;
  detail: RolloutDetail;
  /** The prompt's samples at the checkpoint, as a group. */
  group: RolloutScore[];
}

export async function loadEvalSample(reader: EvalSampleReader, runName: string, address: EvalAddress): Promise<LoadedEvalSample> {
  const { evalId, checkpoint, promptId, sample: index } = address;
  if (!isSafeName(evalId)) throw new SourceError(`'${evalId}' is not an eval id (letters, digits, '.', '_' and '-' only).`);
  const paths = evalPaths(address.runDir, evalId);
  const { manifest, problem } = await readManifest(paths);
  if (problem) throw new SourceError(`The eval '${evalId}' of run '${runName}' cannot be read: ${problem.file}: ${problem.message}`);
  if (!manifest) throw new SourceError(`Run '${runName}' has no eval '${evalId}' (${paths.manifest} does not exist: the eval was deleted or moved).`);
  const entry = manifest.checkpoints.find((c) => c.name === checkpoint);
  if (!entry) {
    const names = manifest.checkpoints.map((c) => c.name).join(', ') || 'none';
    throw new SourceError(`The eval '${manifest.name}' (${evalId}) did not evaluate checkpoint '${checkpoint}' (it evaluated: ${names}).`);
  }
  let samples: EvalSample[];
  try {
    samples = await reader.readSamples(paths, checkpoint, promptId);
  } catch (error) {
    if (error instanceof EvalFileError) {
      throw new SourceError(`Checkpoint '${checkpoint}' of the eval '${manifest.name}' has no readable samples (status ${entry.status}): ${error.message}`);
    }
    throw error;
  }
  if (samples.length === 0) throw new SourceError(`Checkpoint '${checkpoint}' of the eval '${manifest.name}' has no samples of prompt ${promptId} (status ${entry.status}).`);
  const sample = samples.find((s) => s.sampleIndex === index);
  if (!sample) {
    throw new SourceError(`Checkpoint '${checkpoint}' of the eval '${manifest.name}' has no sample ${index} of prompt ${promptId} (the prompt has ${samples.length} samples, 0–${samples.length - 1}).`);
  }
  return { manifest, sample, detail: asDetail(sample), group: samples.map(asScore) };
}

/**
 * The sample as a rollout row. An eval trains nothing: every completion token is a sampled token
 * (loss mask 1, as a training rollout's completion), there is no advantage and no forking mask.
 */
function asDetail(s: EvalSample): RolloutDetail {
  return {
    step: -1,
    row: s.sampleIndex,
    promptIndex: s.promptId,
    groupIndex: s.sampleIndex,
    prompt: s.prompt,
    completion: s.completion,
    tokenIds: s.tokenIds,
    tokens: s.tokens,
    logprobs: s.logprobs,
    entropies: s.entropies,
    lossMask: s.tokens.map(() => 1),
    advantage: null,
    reward: s.reward,
    rewards: s.rewards,
    truncated: s.truncated,
    hintIds: [],
    rewardError: s.rewardError,
    extras: {},
    entropyThreshold: null,
    datasetIndex: null,
    replayed: false,
    age: 0,
  };
}

function asScore(s: EvalSample, row: number): RolloutScore {
  const { prompt, reward, rewards, truncated, rewardError } = s;
  return { row, promptIndex: s.promptId, groupIndex: s.sampleIndex, prompt, reward, rewards, advantage: null, truncated, rewardError, replayed: false };
}

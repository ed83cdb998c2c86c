// Normalising eval.json and summary.json as `rlstudio eval` writes them: tolerant of missing and
// unknown fields (a newer writer may add some), strict about shapes that would mislead the panel.
// Pure.

import type { CheckpointEvalStatus, CheckpointSummary, EvalCheckpoint, EvalManifest, EvalStatus, EvalSummary, PromptCounts } from './evalTypes';

type Json = Record<string, unknown>;

const STATUSES: readonly EvalStatus[] = ['running', 'completed', 'failed', 'stopped'];
const CHECKPOINT_STATUSES: readonly CheckpointEvalStatus[] = ['pending', 'running', 'done', 'failed'];

export class EvalFormatError extends Error {}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
function errorText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  const e = obj(value);
  return [str(e.type), str(e.message)].filter(Boolean).join(': ') || JSON.stringify(value);
}

/** eval.json of the folder `id`. Throws EvalFormatError when it is not an eval manifest at all. */
export function normalizeManifest(id: string, raw: unknown): EvalManifest {
  const m = obj(raw);
  if (typeof m.format === 'string' && !m.format.startsWith('rlstudio.eval/')) {
    throw new EvalFormatError(`format '${m.format}' is not an eval manifest (expected 'rlstudio.eval/1')`);
  }
  if (!Array.isArray(m.checkpoints)) throw new EvalFormatError("field 'checkpoints' is missing or not a list");
  const params = obj(m.params);
  const source = obj(m.promptSource);
  const passWhen = obj(m.passWhen);
  const status = STATUSES.includes(m.status as EvalStatus) ? (m.status as EvalStatus) : 'running';
  return {
    id,
    name: str(m.name) ?? id,
    createdAt: str(m.createdAt) ?? '',
    updatedAt: str(m.updatedAt) ?? '',
    status,
    endedAt: str(m.endedAt),
    error: errorText(m.error),
    pid: num(m.pid),
    host: str(m.host),
    params: {
      samples: num(params.samples),
      temperature: num(params.temperature),
      maxNewTokens: num(params.maxNewTokens),
      seed: num(params.seed),
      prompts: num(params.prompts),
      k: Array.isArray(params.k) ? params.k.filter((k): k is number => Number.isInteger(k)) : [],
    },
    promptSource: str(source.detail) ?? ([str(source.kind), str(source.path) ?? str(source.task)].filter(Boolean).join(': ') || 'unknown'),
    passWhen: str(passWhen.reward) ? { reward: str(passWhen.reward)!, atLeast: num(passWhen.atLeast) ?? 1, chosenBy: str(passWhen.chosenBy) ?? '' } : null,
    rewardNames: Array.isArray(m.rewardNames) ? m.rewardNames.filter((n): n is string => typeof n === 'string') : [],
    checkpoints: m.checkpoints.map((c, i): EvalCheckpoint => {
      const e = obj(c);
      const name = str(e.name);
      if (!name) throw new EvalFormatError(`checkpoints[${i}] has no name`);
      return {
        name,
        status: CHECKPOINT_STATUSES.includes(e.status as CheckpointEvalStatus) ? (e.status as CheckpointEvalStatus) : 'pending',
        samplesDone: num(e.samplesDone) ?? 0,
        samplesTotal: num(e.samplesTotal) ?? 0,
        error: errorText(e.error),
      };
    }),
  };
}

export function normalizeSummary(raw: unknown): EvalSummary {
  const s = obj(raw);
  if (typeof s.format === 'string' && !s.format.startsWith('rlstudio.eval-summary/')) {
    throw new EvalFormatError(`format '${s.format}' is not an eval summary (expected 'rlstudio.eval-summary/1')`);
  }
  const checkpoints: Record<string, CheckpointSummary> = {};
  for (const [name, value] of Object.entries(obj(s.checkpoints))) {
    const c = obj(value);
    const passAtK: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj(c.passAtK))) if (num(v) !== null) passAtK[k] = v as number;
    const meanReward: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(obj(c.meanReward))) meanReward[k] = num(v);
    checkpoints[name] = {
      n: num(c.n) ?? 0,
      prompts: num(c.prompts) ?? 0,
      passAtK,
      meanReward,
      meanLength: num(c.meanLength),
      meanEntropy: num(c.meanEntropy),
      truncationRate: num(c.truncationRate),
      rewardErrors: num(c.rewardErrors) ?? 0,
    };
  }
  if (s.prompts !== undefined && !Array.isArray(s.prompts)) throw new EvalFormatError("field 'prompts' is not a list");
  const prompts = ((s.prompts as unknown[] | undefined) ?? []).map((value, i): PromptCounts => {
    const p = obj(value);
    const id = p.prompt_id ?? p.promptId;
    if (!Number.isInteger(id)) throw new EvalFormatError(`prompts[${i}] has no integer prompt_id`);
    const correct: Record<string, number> = {};
    const n: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj(p.correct))) if (Number.isInteger(v)) correct[k] = v as number;
    for (const [k, v] of Object.entries(obj(p.n))) if (Number.isInteger(v)) n[k] = v as number;
    return { promptId: id as number, correct, n };
  });
  const k = Array.isArray(s.k) ? s.k.filter((v): v is number => Number.isInteger(v)) : [];
  return { k, checkpoints, prompts };
}

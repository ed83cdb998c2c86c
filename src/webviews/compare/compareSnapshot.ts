// Building what the Compare Checkpoints panel shows from a run's folder, and noticing when that
// changed (a cheap stamp of the files an eval writes). No `vscode` import.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { listEvals, readEval, type EvalSampleReader } from '../../evals/evalReader';
import { evalPaths, runPaths } from '../../runs/runFormat';
import type { EvalPrompt } from '../../evals/evalTypes';
import type { CompareSnapshot, EvalView, PromptDetail } from './protocol';

/** Characters of a prompt the matrix gets; the whole prompt comes with its samples. */
export const PREVIEW_CHARS = 200;

export interface SnapshotInput {
  runId: string;
  runName: string;
  runDir: string;
  /** The eval to show; the newest when undefined or gone. */
  evalId: string | null;
  trusted: boolean;
}

export interface BuiltSnapshot {
  snapshot: CompareSnapshot;
  /** Full prompt texts of the eval shown, by id (for the prompt detail). */
  prompts: Map<number, EvalPrompt>;
}

export async function buildSnapshot(input: SnapshotInput): Promise<BuiltSnapshot> {
  const runMissing = !(await exists(input.runDir));
  const { evals, problems } = await listEvals(input.runDir);
  const chosen = evals.find((e) => e.id === input.evalId) ?? evals[0];
  let view: EvalView | null = null;
  const prompts = new Map<number, EvalPrompt>();
  if (chosen) {
    const contents = await readEval(evalPaths(input.runDir, chosen.id));
    problems.push(...contents.problems);
    for (const p of contents.prompts) prompts.set(p.promptId, p);
    view = {
      manifest: contents.manifest ?? chosen,
      summary: contents.summary,
      prompts: contents.prompts.map((p) => ({ promptId: p.promptId, preview: p.prompt.length > PREVIEW_CHARS ? `${p.prompt.slice(0, PREVIEW_CHARS)}…` : p.prompt, answer: p.answer })),
      crossScores: contents.crossScores,
    };
  }
  return {
    snapshot: { runId: input.runId, runDir: input.runDir, runName: input.runName, runMissing, evals, view, problems, canStart: input.trusted && !runMissing },
    prompts,
  };
}

/** One prompt of the eval in `built`: every evaluated checkpoint's samples, and the cross-scores. */
export async function readPromptDetail(reader: EvalSampleReader, runDir: string, built: BuiltSnapshot, promptId: number): Promise<PromptDetail> {
  const view = built.snapshot.view;
  if (!view) throw new Error('This run has no evaluation.');
  const paths = evalPaths(runDir, view.manifest.id);
  const prompt = built.prompts.get(promptId);
  const detail: PromptDetail = { promptId, prompt: prompt?.prompt ?? '', answer: prompt?.answer ?? null, samples: {}, crossScores: {}, errors: [] };
  const note = (error: unknown) => detail.errors.push(error instanceof Error ? error.message : String(error));
  await Promise.all([
    ...Object.keys(view.summary?.checkpoints ?? {}).map((name) =>
      reader.readSamples(paths, name, promptId).then((samples) => void (detail.samples[name] = samples), note),
    ),
    ...view.crossScores.map(({ checkpoint, scorer }) =>
      reader.readCrossScores(paths, checkpoint, scorer, promptId).then((scores) => void (detail.crossScores[`${checkpoint} ${scorer}`] = scores), note),
    ),
  ]);
  // The chat-templated prompt the model saw, when prompts.jsonl has no line for it.
  if (!detail.prompt) detail.prompt = Object.values(detail.samples).find((s) => s.length)?.[0].prompt ?? '';
  return detail;
}

/** Changes whenever an eval is added or removed, or a file of the shown eval is written. */
export async function evalsStamp(runDir: string, evalId: string | null): Promise<string> {
  const parts: string[] = [String(await exists(runDir))];
  const root = runPaths(runDir).evals;
  let ids: string[];
  try {
    ids = (await fs.readdir(root)).sort();
  } catch {
    return parts.join('|');
  }
  for (const id of ids) parts.push(id, await mtime(path.join(root, id, 'eval.json')));
  const shown = evalId && ids.includes(evalId) ? evalId : ids.at(-1);
  if (shown) {
    const dir = path.join(root, shown);
    for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) parts.push(name, await mtime(path.join(dir, name)));
  }
  return parts.join('|');
}

async function mtime(file: string): Promise<string> {
  try {
    const s = await fs.stat(file);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return '-';
  }
}

async function exists(dir: string): Promise<boolean> {
  try {
    await fs.access(dir);
    return true;
  } catch {
    return false;
  }
}

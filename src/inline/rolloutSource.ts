// Reads what rollout documents show, through the run store and the rollout shard reader: one
// rollout by its address (an eval sample through evalSampleSource.ts), its group, the steps that
// sampled its prompt, and the document header's context. Failures become a
// SourceError whose message is shown inside the document. No `vscode` import.

import { existsSync } from 'node:fs';
import type { Run, RunStore } from '../runs/model';
import { RolloutReader, type RolloutDetail, type RolloutScore } from '../runs/rollouts';
import { EvalSampleReader } from '../evals/evalReader';
import type { RolloutAddress } from './rolloutAddress';
import type { HeaderContext } from './rolloutDocument';
import { loadEvalSample } from './evalSampleSource';
import { SourceError } from './sourceError';

export { SourceError };

export interface LoadedRollout {
  run: Run;
  detail: RolloutDetail;
  /** The rollout's group at its step (an eval sample: the prompt's samples at the checkpoint), ascending by sample. */
  group: RolloutScore[];
  /** What the document's header says about where the rollout comes from. */
  header: HeaderContext;
}

type StepAddress = Extract<RolloutAddress, { kind: 'step' }>;

export class RolloutSource {
  /** Per-shard scores of the last shards read (a group's navigation re-reads the same shard). */
  private readonly scores = new Map<string, Promise<RolloutScore[]>>();

  constructor(
    private readonly store: RunStore,
    readonly reader = new RolloutReader(),
    readonly evalReader = new EvalSampleReader(),
  ) {}

  run(address: RolloutAddress): Run {
    const id = address.runDir.split(/[\\/]/).filter(Boolean).at(-1) ?? '';
    const run = this.store.get(id);
    if (run && run.dir === address.runDir) return run;
    if (!existsSync(address.runDir)) throw new SourceError(`The run folder ${address.runDir} does not exist any more (deleted or moved).`);
    throw new SourceError(`The run folder ${address.runDir} is not in the Runs view (add its parent folder to rlstudio.runDirectories).`);
  }

  async load(address: RolloutAddress): Promise<LoadedRollout> {
    if (address.kind === 'eval') {
      const run = this.run(address);
      const { manifest, sample, detail, group } = await loadEvalSample(this.evalReader, run.name(), address);
      const passWhen = manifest.passWhen ? ` (${manifest.passWhen.reward} ≥ ${manifest.passWhen.atLeast})` : '';
      const source = `eval ${manifest.name === address.evalId ? address.evalId : `${manifest.name} (${address.evalId})`} · checkpoint ${address.checkpoint}`;
      return { run, detail, group, header: { runName: run.name(), source, groupSize: group.length, verdict: `${sample.correct ? 'correct' : 'not correct'}${passWhen}` } };
    }
    const step = address;
    const run = this.run(step);
    const group = await this.group(step);
    const member = group.find((r) => r.groupIndex === step.sample);
    if (!member) {
      throw new SourceError(`Step ${step.step} has no sample ${step.sample} of prompt ${step.prompt} (the group has ${group.length} samples).`);
    }
    const detail = await this.reader.readRollout(this.file(run, step.step), member.row);
    return { run, detail, group, header: { runName: run.name(), source: `step ${step.step}`, groupSize: group.length } };
  }

  /** The samples of the address's prompt at its step. */
  async group(address: RolloutAddress): Promise<RolloutScore[]> {
    const step = stepAddress(address);
    const rows = await this.stepScores(this.run(step), step.step);
    const group = rows.filter((r) => r.promptIndex === step.prompt).sort((a, b) => a.groupIndex - b.groupIndex);
    if (group.length === 0) throw new SourceError(`Step ${step.step} has no prompt ${step.prompt}.`);
    return group;
  }

  /** Every row's scores at a step (kept for the last few shards). */
  async stepScores(run: Run, step: number): Promise<RolloutScore[]> {
    const file = this.file(run, step);
    let pending = this.scores.get(file);
    if (!pending) {
      pending = this.reader.readScores(file);
      pending.catch(() => this.scores.delete(file));
      this.scores.set(file, pending);
      while (this.scores.size > 8) this.scores.delete(this.scores.keys().next().value as string);
    }
    return pending;
  }

  /** Recorded steps whose shard holds this exact prompt text. */
  stepsWithPrompt(run: Run, prompt: string): Promise<number[]> {
    return this.reader.stepsWithPrompt(run.recordedSteps().map((s) => ({ step: s, file: run.rolloutsFile(s) })), prompt);
  }

  file(run: Run, step: number): string {
    if (!run.recordedSteps().includes(step)) {
      throw new SourceError(`Run '${run.name()}' has no rollouts recorded at step ${step} (its shard is missing or was deleted).`);
    }
    return run.rolloutsFile(step);
  }
}

function stepAddress(address: RolloutAddress): StepAddress {
  if (address.kind === 'eval') {
    throw new SourceError(`An evaluation sample (eval ${address.evalId}, checkpoint ${address.checkpoint}) belongs to no training step: load() reads it and its prompt's samples.`);
  }
  return address;
}

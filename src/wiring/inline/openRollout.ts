// "RL Studio: Open Rollout…": run → step → prompt → sample, with rewards in every item.

import * as vscode from 'vscode';
import { firstLine, meanRewardText } from '../../inline/annotationText';
import type { RolloutSource } from '../../inline/rolloutSource';
import type { Run, RunStore } from '../../runs/model';
import { pickRun } from '../../views/pickRun';
import { describeRecordedSteps, hasRecordedRollouts } from '../../views/runPickItems';
import type { RolloutScore } from '../../runs/rolloutTypes';
import { formatNumber } from '../../common/format';
import { plainText } from '../../common/untrustedText';
import type { RolloutDocuments } from './rolloutDocuments';

export async function pickAndOpenRollout(store: RunStore, source: RolloutSource, documents: RolloutDocuments, preset?: { run?: Run; step?: number }): Promise<void> {
  const run = preset?.run ?? (await pickRun(store.runs(), {
    title: 'Open a rollout: which run?',
    filter: hasRecordedRollouts,
    describe: describeRecordedSteps,
    none: 'RL Studio: no run has recorded rollouts yet.',
  }));
  if (!run) return;
  const steps = run.recordedSteps();
  if (steps.length === 0) {
    void vscode.window.showInformationMessage(`RL Studio: run '${plainText(run.name())}' has no recorded rollouts yet.`);
    return;
  }
  const step = preset?.step ?? (await pick(
    [...steps].reverse().map((s) => ({ label: `step ${s}`, value: s })),
    `Open a rollout of ${plainText(run.name())}: which step?`,
  ));
  if (step === undefined) return;
  let rows: RolloutScore[];
  try {
    rows = await source.stepScores(run, step);
  } catch (error) {
    void vscode.window.showErrorMessage(`RL Studio: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const groups = new Map<number, RolloutScore[]>();
  for (const r of rows) groups.set(r.promptIndex, [...(groups.get(r.promptIndex) ?? []), r]);
  const prompt = await pick(
    [...groups].map(([index, group]) => ({
      label: `prompt ${index}`,
      description: `mean reward ${meanRewardText(group)} · ${group.length} samples`,
      detail: plainText(promptLine(group[0].prompt)),
      value: index,
    })),
    `Step ${step}: which prompt?`,
  );
  if (prompt === undefined) return;
  const sample = await pick(
    groups.get(prompt)!.map((r) => ({
      label: `sample ${r.groupIndex}`,
      description: `reward ${formatNumber(r.reward)} (${Object.entries(r.rewards).map(([n, v]) => `${n} ${formatNumber(v)}`).join(' · ')})`,
      detail: [r.advantage === null ? '' : `advantage ${formatNumber(r.advantage)}`, r.truncated ? 'truncated' : '', r.rewardError ? 'reward error' : ''].filter(Boolean).join(' · '),
      value: r.groupIndex,
    })),
    `Step ${step}, prompt ${prompt}: which sample?`,
  );
  if (sample === undefined) return;
  await documents.show({ kind: 'step', runDir: run.dir, runName: run.name(), step, prompt, sample }, { preview: false });
}

async function pick<T>(items: (vscode.QuickPickItem & { value: T })[], title: string): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true });
  return chosen?.value;
}

/** The longest line of a prompt (its question, usually, rather than a chat template's role markers). */
function promptLine(prompt: string): string {
  const longest = prompt.split(/\r\n|\r|\n/).reduce((a, b) => (b.length > a.length ? b : a), '');
  return firstLine(longest, 120);
}

// "RL Studio: Make Preference Pairs" (palette and the Runs view): a DPO dataset from a GRPO/RLOO
// run's recorded samples, made by the worker's `pairs/make` (the trainer's `rlstudio pairs`).

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run, RunStore } from '../runs/model';
import { pickRun } from '../views/pickRun';
import type { RunNode } from '../views/runTree';
import type { WorkerHost } from '../worker/workerHost';

const TOTAL = 'Total reward (weighted sum)';

export async function makePreferencePairs(worker: WorkerHost, store: RunStore, node?: RunNode): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Making preference pairs runs the trainer’s Python: trust this workspace to use it.');
    return;
  }
  const sampled = store.runs().filter((r) => r.manifest?.algorithm !== 'dpo' && r.recordedSteps().length > 0);
  const run = node?.kind === 'run' ? node.run : await pickRun(sampled, { title: 'Make preference pairs from which run?', none: 'No GRPO or RLOO run has recorded samples.' });
  if (!run) return;
  const steps = run.recordedSteps();
  const range = await vscode.window.showInputBox({
    title: `Preference pairs from ${run.name()}: steps`,
    value: 'all',
    prompt: `all, last, or steps and ranges like ${steps[0]}-${steps.at(-1)} (recorded: ${steps.length} steps)`,
    ignoreFocusOut: true,
  });
  if (!range) return;
  const rewardNames = rewardsOf(run);
  const reward = await vscode.window.showQuickPick([TOTAL, ...rewardNames], {
    title: 'Rank the samples of each prompt by',
    placeHolder: 'best = chosen, worst = rejected; ties and prompts without variance are skipped',
  });
  if (!reward) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(run.dir);
  const target = await vscode.window.showSaveDialog({
    title: 'Write the pairs (JSONL)',
    defaultUri: vscode.Uri.file(path.join(folder, `${run.id}-pairs.jsonl`)),
    filters: { 'JSON Lines': ['jsonl'] },
  });
  if (!target) return;
  try {
    const result = await worker.request('pairs/make', {
      runDir: run.dir,
      out: target.fsPath,
      steps: range,
      ...(reward === TOTAL ? {} : { reward }),
    });
    const open = await vscode.window.showInformationMessage(`${result.summary} → ${vscode.workspace.asRelativePath(target)}`, 'Open');
    if (open) await vscode.window.showTextDocument(target);
  } catch (error) {
    void vscode.window.showErrorMessage(`Make Preference Pairs: ${(error as Error).message}`);
  }
}

function rewardsOf(run: Run): string[] {
  const rewards = (run.manifest?.config as { rewards?: { name?: unknown }[] } | undefined)?.rewards ?? [];
  return rewards.map((r) => r.name).filter((n): n is string => typeof n === 'string');
}

// The quick pick a command shows when it needs a run and was not given one.

import * as vscode from 'vscode';
import type { Run, RunStore } from '../runs/model';

/** Says so when there is no run; the only run without asking; else a quick pick. */
export async function pickRun(store: RunStore, title: string): Promise<Run | undefined> {
  const runs = store.runs();
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('RL Studio: there are no runs yet. Start one with "RL Studio: Start Run".');
    return undefined;
  }
  if (runs.length === 1) return runs[0];
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: run.name(), description: `${run.derived.status} · ${run.id}`, run })),
    { title },
  );
  return picked?.run;
}

// The quick pick of runs, for every command that acts on one run and the Reward Lab's source picker.

import * as vscode from 'vscode';
import { plainText } from '../common/untrustedText';
import type { Run } from '../runs/model';

export interface PickRunOptions {
  title?: string;
  placeHolder?: string;
  /** Said instead of opening the pick when there is no run; without it the pick opens empty. */
  none?: string;
  /** Open the pick also when there is only one run (default: take that run). */
  alwaysAsk?: boolean;
  /** An item's description; default `status · folder id`. */
  describe?: (run: Run) => string;
}

export async function pickRun(runs: readonly Run[], options: PickRunOptions): Promise<Run | undefined> {
  if (runs.length === 0 && options.none !== undefined) {
    void vscode.window.showInformationMessage(options.none);
    return undefined;
  }
  if (runs.length === 1 && !options.alwaysAsk) return runs[0];
  const describe = options.describe ?? ((run: Run) => `${run.derived.status} · ${run.id}`);
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: plainText(run.name()), description: plainText(describe(run)), run })),
    { title: options.title, placeHolder: options.placeHolder },
  );
  return picked?.run;
}

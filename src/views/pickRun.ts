// The quick pick of runs, for every command that acts on one run, Open Rollout, the dataset
// annotations' run and the Reward Lab's source picker. Items: ./runPickItems.ts.

import * as vscode from 'vscode';
import type { Run } from '../runs/model';
import { runPickItems, type RunPickFilter } from './runPickItems';

export interface PickRunOptions extends RunPickFilter {
  title?: string;
  placeHolder?: string;
  /** Said instead of opening the pick when no run passes the filter; without it the pick opens empty. */
  none?: string;
  /** Open the pick also when there is only one run (default: take that run). */
  alwaysAsk?: boolean;
}

export async function pickRun(runs: readonly Run[], options: PickRunOptions): Promise<Run | undefined> {
  const items = runPickItems(runs, options);
  if (items.length === 0 && options.none !== undefined) {
    void vscode.window.showInformationMessage(options.none);
    return undefined;
  }
  if (items.length === 1 && !options.alwaysAsk) return items[0].run;
  const picked = await vscode.window.showQuickPick(items, {
    title: options.title,
    placeHolder: options.placeHolder,
    matchOnDescription: true,
  });
  return picked?.run;
}

import * as vscode from 'vscode';
import { COMMAND_IDS } from '../commandIds';
import { plainText } from '../common/untrustedText';
import type { Run, RunStore } from '../runs/model';
import { LIVE_STATUSES } from '../runs/model';
import { describeRun } from './format';

/**
 * The active run in the status bar: the newest live run, else the newest run if it ended in the
 * last hour. Spinner while running, warning colour when it failed; a click opens the run.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('rlstudio.activeRun', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: { dispose(): void };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: RunStore) {
    this.item.name = 'RL Studio: Active Run';
    this.subscription = store.onDidChangeRuns(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.update();
      }, 250);
    });
    this.update();
  }

  activeRun(): Run | undefined {
    const runs = this.store.runs();
    const live = runs.find((r) => LIVE_STATUSES.includes(r.derived.status));
    if (live) return live;
    const newest = runs[0];
    const last = newest?.lastHeartbeat();
    return newest && last !== undefined && Date.now() / 1000 - last < 3600 ? newest : undefined;
  }

  private update(): void {
    const run = this.activeRun();
    if (!run) {
      this.item.hide();
      return;
    }
    const status = run.derived.status;
    const icon = LIVE_STATUSES.includes(status) ? '$(sync~spin)' : status === 'failed' ? '$(error)' : status === 'completed' ? '$(pass)' : '$(circle-slash)';
    const desc = describeRun(run);
    this.item.text = `${icon} ${plainText(run.name())}${desc ? ` ${plainText(desc)}` : ''}`;
    this.item.tooltip = `RL Studio run ${plainText(run.name())}: ${status}. Click to open it.`;
    this.item.backgroundColor = status === 'failed' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = { command: COMMAND_IDS.openRun, title: 'Open Run', arguments: [{ kind: 'run', run }] };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}

// The dashboard and the rollout inspector: their panels, the serializers that bring them back after
// a window reload, and the handlers of "RL Studio: Open Dashboard" and "RL Studio: Inspect Rollouts".

import * as vscode from 'vscode';
import type { Run, RunStore } from '../runs/model';
import { DashboardPanels } from './dashboard/dashboardPanel';
import { InspectorPanels } from './inspector/inspectorPanel';
import { INLINE_COMMANDS } from '../wiring/inline/commandIds';

interface Log {
  error(message: string, ...args: unknown[]): void;
}

/** What commands receive from the Runs view, the status bar or the palette (nothing). */
type RunArgument = { run?: Run; step?: number } | undefined;

export class WebviewsFeature implements vscode.Disposable {
  readonly inspector: InspectorPanels;
  readonly dashboard: DashboardPanels;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    extensionUri: vscode.Uri,
    private readonly store: RunStore,
    log: Log,
  ) {
    // "Open in Editor" in the inspector: the inline feature's command (registered by the Ctx).
    this.inspector = new InspectorPanels(extensionUri, store, log, (target) => void vscode.commands.executeCommand(INLINE_COMMANDS.openFromInspector, target));
    this.dashboard = new DashboardPanels(extensionUri, store, (runId, step) => this.inspector.show(runId, step), log);
    this.subscriptions.push(this.inspector, this.dashboard, this.inspector.registerSerializer(), this.dashboard.registerSerializer());
  }

  // --- commands ---

  openDashboard = async (arg?: RunArgument): Promise<void> => {
    const run = arg?.run ?? (await this.pickRun('Open the dashboard of which run?'));
    if (run) this.dashboard.show([run.id]);
  };

  /** From a "step N" item under Rollouts: that step; from a run: its latest recorded step. */
  inspectRollouts = async (arg?: RunArgument): Promise<void> => {
    const run = arg?.run ?? (await this.pickRun('Inspect the rollouts of which run?'));
    if (run) this.inspector.show(run.id, typeof arg?.step === 'number' ? arg.step : undefined);
  };

  private async pickRun(title: string): Promise<Run | undefined> {
    const runs = this.store.runs();
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

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

// The dashboard and the rollout inspector: their panels, the serializers that bring them back after
// a window reload, and the handlers of "RL Studio: Open Dashboard" and "RL Studio: Inspect Rollouts".

import type * as vscode from 'vscode';
import type { Log } from '../log';
import type { Run, RunStore } from '../runs/model';
import { pickRun } from '../views/pickRun';
import { DashboardPanels } from '../webviews/dashboard/dashboardPanel';
import { InspectorPanels, type OpenInEditor } from '../webviews/inspector/inspectorPanel';

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
    /** "Open in Editor" in the inspector (the inline feature's rollout documents). */
    openInEditor?: OpenInEditor,
  ) {
    this.inspector = new InspectorPanels(extensionUri, store, log, openInEditor);
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

  private pickRun(title: string): Promise<Run | undefined> {
    return pickRun(this.store.runs(), { title, none: 'RL Studio: there are no runs yet. Start one with "RL Studio: Start Run".' });
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

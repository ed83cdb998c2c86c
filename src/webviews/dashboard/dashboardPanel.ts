// The dashboard's host side: one panel, reused. Sends a snapshot of the overlaid runs' metrics, then
// only the appended rows as the trainer writes them (the app appends without redrawing everything).

import * as vscode from 'vscode';
import type { Log } from '../../log';
import type { Disposable, Run, RunStore } from '../../runs/model';
import { WebviewPanelHost } from '../shared/webviewPanel';
import { SelectionHistograms } from './selectionHistograms';
import {
  DASHBOARD_VIEW_TYPE,
  DEFAULT_DASHBOARD_STATE,
  type DashboardInit,
  type DashboardProtocol,
  type DashboardSnapshot,
  type DashboardState,
  type RunMetrics,
} from './protocol';

export class DashboardPanels implements vscode.Disposable {
  private host: WebviewPanelHost<DashboardProtocol> | undefined;
  private runIds: string[] = [];
  private runListeners: Disposable[] = [];
  private readonly storeListener: Disposable;
  private readonly selection: SelectionHistograms;
  /** The run listing the app last received; the store fires on every change of any run. */
  private listing = '';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly openInspector: (runId: string, step: number) => void,
    private readonly log: Log,
  ) {
    this.selection = new SelectionHistograms(store);
    // Runs appear asynchronously (e.g. after a window reload the store scans its folders while
    // the restored panel already asks for them): selected ids are kept even while unknown.
    this.storeListener = store.onDidChangeRuns(() => {
      // Live rows reach the app as appends (watch()); a whole snapshot, which rebuilds every chart,
      // goes only when the list of runs, their names or their statuses changed.
      if (!this.host || this.listingKey() === this.listing) return;
      this.watch();
      this.host.panel.title = this.title();
      this.host.ipc.notify('dashboard/snapshot/didChange', this.snapshot());
    });
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved: unknown) => {
        const state = { ...DEFAULT_DASHBOARD_STATE, ...(saved as Partial<DashboardState> | undefined) };
        this.open(state, panel);
      },
    });
  }

  /** Opens (or reveals) the dashboard on these runs; with none, the newest run. */
  show(runIds: string[] = []): void {
    const ids = runIds.length > 0 ? runIds : this.store.runs().slice(0, 1).map((r) => r.id);
    if (this.host) {
      this.host.panel.reveal();
      this.select(ids);
      return;
    }
    this.open({ ...DEFAULT_DASHBOARD_STATE, runIds: ids });
  }

  private open(state: DashboardState, panel?: vscode.WebviewPanel): void {
    this.runIds = state.runIds;
    const init: DashboardInit = { state, snapshot: this.snapshot() };
    const host = new WebviewPanelHost<DashboardProtocol>({
      viewType: DASHBOARD_VIEW_TYPE,
      title: this.title(),
      app: 'dashboard',
      extensionUri: this.extensionUri,
      initialState: init,
      panel,
      ipc: {
        snapshots: ['dashboard/snapshot/didChange', 'dashboard/recorded/didChange'],
        onError: (method, error) => this.log.error(`dashboard: ${method} failed`, error),
      },
    });
    this.host = host;
    host.ipc.onCommand('dashboard/inspector/open', ({ runId, step }) => this.openInspector(runId, step));
    host.ipc.onCommand('dashboard/runs/select', ({ runIds }) => this.select(runIds));
    host.ipc.onCommand('dashboard/compare/open', ({ runId }) => {
      const run = this.store.get(runId);
      if (run) void vscode.commands.executeCommand('rlstudio.compareCheckpoints', { kind: 'run', run });
    });
    host.ipc.onRequest('dashboard/selection/get', ({ runId }) => this.selection.histogram(runId));
    host.ipc.onRequest('dashboard/snapshot/get', ({ runIds }) => {
      this.runIds = runIds;
      this.watch();
      return this.snapshot();
    });
    host.onDidDispose(() => {
      if (this.host === host) {
        this.host = undefined;
        this.unwatch();
      }
    });
    this.watch();
  }

  private select(runIds: string[]): void {
    this.runIds = runIds;
    if (this.host) this.host.panel.title = this.title();
    this.watch();
    this.host?.ipc.notify('dashboard/snapshot/didChange', this.snapshot());
  }

  private title(): string {
    const names = this.runIds.map((id) => this.store.get(id)?.name() ?? id);
    return names.length === 0 ? 'Dashboard' : `Dashboard: ${names.join(', ')}`;
  }

  private listingKey(): string {
    return this.store.runs().map((r) => [r.id, r.name(), r.derived.status].join('\u0000')).join('\u0001');
  }

  private snapshot(): DashboardSnapshot {
    this.listing = this.listingKey();
    return {
      available: this.store.runs().map((r) => ({ runId: r.id, name: r.name(), status: r.derived.status })),
      runs: this.runIds.map((id) => this.store.get(id)).filter((r): r is Run => r !== undefined).map(runMetrics),
    };
  }

  private watch(): void {
    this.unwatch();
    for (const id of this.runIds) {
      const run = this.store.get(id);
      if (!run) continue;
      let recorded = run.recordedSteps().join(',');
      let status = run.derived.status as string;
      this.runListeners.push(
        run.onDidAppendMetrics(({ from }) => {
          if (!this.host) return;
          if (from === 0 && run.metrics.length > 0) {
            // The metrics file was reset: resend everything.
            this.host.ipc.notify('dashboard/snapshot/didChange', this.snapshot());
            return;
          }
          this.host.ipc.notify('dashboard/metrics/didAppend', { runId: run.id, from, ...rows(run, from) });
        }),
        run.onDidChange(() => {
          const now = run.recordedSteps().join(',');
          if (now !== recorded || run.derived.status !== status) {
            recorded = now;
            status = run.derived.status;
            this.host?.ipc.notify('dashboard/recorded/didChange', { runId: run.id, recordedSteps: run.recordedSteps(), status });
          }
        }),
      );
    }
  }

  private unwatch(): void {
    for (const d of this.runListeners.splice(0)) d.dispose();
  }

  dispose(): void {
    this.unwatch();
    this.storeListener.dispose();
    this.host?.dispose();
  }
}

function runMetrics(run: Run): RunMetrics {
  return {
    runId: run.id,
    name: run.name(),
    status: run.derived.status,
    recordedSteps: run.recordedSteps(),
    config: run.manifest?.config ?? {},
    ...rows(run, 0),
  };
}

/**
 * Rows [from, end) of a run's metric table. Copies (slice), never views: VS Code posts a typed
 * array's whole underlying buffer, and the table's buffers have spare capacity.
 */
function rows(run: Run, from: number): Pick<RunMetrics, 'steps' | 'times' | 'metrics' | 'nonFinite'> {
  const table = run.metrics;
  // fromEntries defines each key as an own property: a metric named `__proto__` stays a metric.
  const metrics = Object.fromEntries(table.names().map((name) => [name, table.column(name)!.slice(from)]));
  const nonFinite = Object.fromEntries(
    table.names().flatMap((name) => {
      const rows = table.nonFinite(name).filter((row) => row >= from);
      return rows.length > 0 ? [[name, rows]] : [];
    }),
  );
  return { steps: table.steps().slice(from), times: table.times().slice(from), metrics, nonFinite };
}

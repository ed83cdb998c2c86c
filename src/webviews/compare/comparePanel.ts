// The Compare Checkpoints panel's host side: one panel, reused; it shows one run's evals, polls the
// run's evals/ folder while open (an eval writes its files as it goes) and sends a fresh snapshot
// when something changed, and reads a prompt's samples only when the app opens it.

import * as vscode from 'vscode';
import { EvalSampleReader } from '../../evals/evalReader';
import type { RunStore } from '../../runs/model';
import { evalPaths } from '../../runs/runFormat';
import { WebviewPanelHost } from '../shared/webviewPanel';
import { buildSnapshot, evalsStamp, readPromptDetail, type BuiltSnapshot } from './compareSnapshot';
import { COMPARE_VIEW_TYPE, DEFAULT_COMPARE_STATE, type CompareInit, type CompareProtocol, type CompareState, type PromptDetail } from './protocol';

interface Logger {
  error(message: string, ...args: unknown[]): void;
}

export interface CompareActions {
  /** "New Evaluation…" for the run in the panel. */
  newEvaluation(runId: string, runDir: string): void;
  stopEvaluation(runDir: string, evalId: string): void;
  crossScore(runId: string, evalId: string, checkpoint: string, scorer: string): void;
  /** "Open in Editor" on a sample: the sample as a rollout document. */
  openSample(target: EvalSampleTarget): void;
}

/** An eval sample of a run, as the Compare panel names it. */
export interface EvalSampleTarget {
  runId: string;
  evalId: string;
  checkpoint: string;
  promptId: number;
  sample: number;
}

const POLL_MS = 1000;

export class ComparePanels implements vscode.Disposable {
  private host: WebviewPanelHost<CompareProtocol> | undefined;
  private target: { runId: string; runDir: string; runName: string; evalId: string | null } | undefined;
  private readonly reader = new EvalSampleReader();
  /** What the app was last sent: prompt texts and done checkpoints for the prompt detail. */
  private last: BuiltSnapshot | undefined;
  private stamp = '';
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly actions: CompareActions,
    private readonly log: Logger,
  ) {}

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved: unknown) => {
        const state = { ...DEFAULT_COMPARE_STATE, ...(saved as Partial<CompareState> | undefined) };
        if (!state.runId || !state.runDir) {
          panel.dispose();
          return;
        }
        await this.open(state, panel);
      },
    });
  }

  /** Opens (or reveals) the panel on a run, at an eval (default: the newest). */
  async show(runId: string, evalId?: string): Promise<void> {
    const run = this.store.get(runId);
    if (!run) {
      void vscode.window.showWarningMessage(`RL Studio: no run '${runId}' is known.`);
      return;
    }
    if (this.host) {
      this.host.panel.reveal();
      this.target = { runId, runDir: run.dir, runName: run.name(), evalId: evalId ?? (this.target?.runId === runId ? this.target.evalId : null) };
      this.stamp = '';
      await this.refresh();
      return;
    }
    await this.open({ ...DEFAULT_COMPARE_STATE, runId, runDir: run.dir, evalId: evalId ?? null });
  }

  /** The run shown, if any (to start a New Evaluation from the palette). */
  get shownRun(): string | undefined {
    return this.target?.runId;
  }

  private async open(state: CompareState, panel?: vscode.WebviewPanel): Promise<void> {
    const run = this.store.get(state.runId!);
    this.target = { runId: state.runId!, runDir: state.runDir ?? run!.dir, runName: run?.name() ?? state.runId!, evalId: state.evalId };
    const built = await buildSnapshot({ ...this.target, trusted: vscode.workspace.isTrusted });
    this.last = built;
    this.stamp = await evalsStamp(this.target.runDir, state.evalId);
    const init: CompareInit = { state: { ...state, runDir: this.target.runDir }, snapshot: built.snapshot };
    const host = new WebviewPanelHost<CompareProtocol>({
      viewType: COMPARE_VIEW_TYPE,
      title: `Compare: ${this.target.runName}`,
      app: 'compare',
      extensionUri: this.extensionUri,
      initialState: init,
      panel,
      ipc: {
        snapshots: ['compare/snapshot/didChange'],
        onError: (method, error) => this.log.error(`compare: ${method} failed`, error),
      },
    });
    this.host = host;
    this.registerHandlers(host);
    host.onDidDispose(() => {
      if (this.host === host) {
        this.host = undefined;
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.prefetch(built);
  }

  /** In the background: the footers of the shown eval's sample files, for the first prompt opened. */
  private prefetch(built: BuiltSnapshot): void {
    const view = built.snapshot.view;
    if (!view || !this.target) return;
    void this.reader.prefetch(evalPaths(this.target.runDir, view.manifest.id), Object.keys(view.summary?.checkpoints ?? {}), view.crossScores);
  }

  private registerHandlers(host: WebviewPanelHost<CompareProtocol>): void {
    const ipc = host.ipc;
    ipc.onCommand('compare/log/error', ({ message }) => this.log.error(`compare: ${message}`));
    ipc.onCommand('compare/eval/select', async ({ evalId }) => {
      if (!this.target) return;
      this.target.evalId = evalId;
      this.stamp = '';
      await this.refresh();
    });
    ipc.onCommand('compare/eval/new', () => this.target && this.actions.newEvaluation(this.target.runId, this.target.runDir));
    ipc.onCommand('compare/eval/stop', ({ evalId }) => this.target && this.actions.stopEvaluation(this.target.runDir, evalId));
    ipc.onCommand('compare/eval/score', ({ evalId, checkpoint, scorer }) => this.target && this.actions.crossScore(this.target.runId, evalId, checkpoint, scorer));
    ipc.onCommand('compare/sample/open', (sample) => this.target && this.actions.openSample({ runId: this.target.runId, ...sample }));
    ipc.onRequest('compare/prompt/get', ({ evalId, promptId }) => this.promptDetail(evalId, promptId));
  }

  private async promptDetail(evalId: string, promptId: number): Promise<PromptDetail> {
    if (!this.target) throw new Error('No run is shown.');
    const built = this.last?.snapshot.view?.manifest.id === evalId ? this.last : await buildSnapshot({ ...this.target, evalId, trusted: vscode.workspace.isTrusted });
    return readPromptDetail(this.reader, this.target.runDir, built, promptId);
  }

  private async poll(): Promise<void> {
    if (!this.target || this.refreshing) return;
    const stamp = await evalsStamp(this.target.runDir, this.target.evalId).catch(() => '');
    if (stamp !== this.stamp) await this.refresh();
  }

  /** Sends a fresh snapshot (one at a time). */
  async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      const target = this.target;
      if (!target || !this.host) return;
      try {
        this.stamp = await evalsStamp(target.runDir, target.evalId);
        const run = this.store.get(target.runId);
        if (run) target.runName = run.name();
        const built = await buildSnapshot({ ...target, trusted: vscode.workspace.isTrusted });
        this.last = built;
        this.host.panel.title = `Compare: ${target.runName}`;
        this.host.ipc.notify('compare/snapshot/didChange', built.snapshot);
        this.prefetch(built);
      } catch (error) {
        this.log.error('compare: refresh failed', error);
      }
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.host?.dispose();
  }
}

// The rollout inspector's host side: one panel, reused; it reads only the shard being viewed and
// answers the app's requests with what it shows (summaries for lists, one rollout's tokens at a time).

import * as vscode from 'vscode';
import { plainText } from '../../common/untrustedText';
import type { Log } from '../../log';
import type { Run, RunStore } from '../../runs/model';
import { RolloutReader, nearestStep, type StepRollouts } from '../../runs/rollouts';
import type { InspectedRollout } from '../../runs/rolloutTypes';
import { runPaths } from '../../runs/runFormat';
import { SelectionLog } from '../../runs/selectionLog';
import { WebviewPanelHost } from '../shared/webviewPanel';
import {
  DEFAULT_INSPECTOR_STATE,
  INSPECTOR_VIEW_TYPE,
  type GroupCompletion,
  type InspectorInit,
  type InspectorProtocol,
  type InspectorState,
  type RunSteps,
} from './protocol';
import { computeStepStats, type StepStats } from './stepStats';

/** Opens a rollout in an editor tab (the inline feature's rollout documents). */
export type OpenInEditor = (target: { runId: string; step: number; promptIndex: number; groupIndex: number }) => void;

export class InspectorPanels implements vscode.Disposable {
  private host: WebviewPanelHost<InspectorProtocol> | undefined;
  private hostDisposables: vscode.Disposable[] = [];
  private readonly reader = new RolloutReader();
  private selection: { runId: string; log: SelectionLog } | undefined;
  private lastStep: { key: string; data: StepRollouts } | undefined;
  private lastStats: { key: string; data: StepStats } | undefined;

  /** The run a restored panel shows, until the store (still scanning after a reload) knows it. */
  private awaitedRun: string | undefined;
  private readonly storeListener: { dispose(): void };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly log: Log,
    private readonly openInEditor: OpenInEditor = () => undefined,
  ) {
    this.storeListener = store.onDidChangeRuns(() => {
      const run = this.awaitedRun ? store.get(this.awaitedRun) : undefined;
      if (run && this.host) {
        this.awaitedRun = undefined;
        this.watch(run);
        this.host.panel.title = `Rollouts: ${run.name()}`;
        this.host.ipc.notify('inspector/steps/didChange', runSteps(run));
      }
    });
  }

  /** Restores the panel after a window reload with the state the app saved. */
  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved: unknown) => {
        const state = { ...DEFAULT_INSPECTOR_STATE, ...(saved as Partial<InspectorState> | undefined) };
        this.open(state, panel);
      },
    });
  }

  /** Opens (or reveals) the inspector at a run's step; the nearest recorded step if that one has no shard. */
  show(runId: string, step?: number, row?: number): void {
    const run = this.store.get(runId);
    if (!run) {
      void vscode.window.showWarningMessage(`RL Studio: no run '${plainText(runId)}' is known.`);
      return;
    }
    const target = step === undefined ? run.recordedSteps().at(-1) : nearestStep(run.recordedSteps(), step);
    if (target === undefined) {
      void vscode.window.showInformationMessage(`RL Studio: run '${plainText(run.name())}' has no recorded rollouts yet.`);
    }
    if (this.host) {
      this.host.panel.reveal();
      this.host.ipc.notify('inspector/steps/didChange', runSteps(run));
      if (target !== undefined) {
        this.host.ipc.notify('inspector/show', { runId, step: target, row });
      }
      this.watch(run);
      return;
    }
    this.open({ ...DEFAULT_INSPECTOR_STATE, runId, step: target ?? null, row: row ?? null });
  }

  private open(state: InspectorState, panel?: vscode.WebviewPanel): void {
    const run = state.runId ? this.store.get(state.runId) : undefined;
    const init: InspectorInit = { state, run: run ? runSteps(run) : null };
    const host = new WebviewPanelHost<InspectorProtocol>({
      viewType: INSPECTOR_VIEW_TYPE,
      title: run ? `Rollouts: ${run.name()}` : 'Rollouts',
      app: 'inspector',
      extensionUri: this.extensionUri,
      initialState: init,
      panel,
      ipc: {
        snapshots: ['inspector/steps/didChange', 'inspector/show'],
        onError: (method, error) => this.log.error(`inspector: ${method} failed`, error),
      },
    });
    this.host = host;
    this.registerHandlers(host);
    host.onDidDispose(() => {
      if (this.host === host) {
        this.host = undefined;
        this.unwatch();
      }
    });
    if (run) {
      this.watch(run);
    } else {
      this.awaitedRun = state.runId ?? undefined;
    }
  }

  private registerHandlers(host: WebviewPanelHost<InspectorProtocol>): void {
    const ipc = host.ipc;
    ipc.onCommand('inspector/log/error', ({ message }) => this.log.error(`inspector: ${message}`));
    ipc.onCommand('inspector/openInEditor', (target) => this.openInEditor(target));
    ipc.onRequest('inspector/run/get', ({ runId }) => {
      const run = this.run(runId);
      this.watch(run);
      host.panel.title = `Rollouts: ${run.name()}`;
      return runSteps(run);
    });
    ipc.onRequest('rollouts/step/get', ({ runId, step }) => this.step(runId, step));
    ipc.onRequest('rollouts/rollout/get', ({ runId, step, row }) => this.rollout(runId, step, row));
    ipc.onRequest('rollouts/group/get', async ({ runId, step, promptIndex }) => {
      const data = await this.step(runId, step);
      const members = data.rollouts.filter((r) => r.promptIndex === promptIndex);
      if (members.length === 0) {
        return [];
      }
      const first = Math.min(...members.map((m) => m.row));
      const last = Math.max(...members.map((m) => m.row));
      const texts = await this.reader.readCompletions(data.file, first, last + 1);
      return members.map(
        (m): GroupCompletion => ({
          row: m.row,
          groupIndex: m.groupIndex,
          completion: texts[m.row - first],
          reward: m.reward,
          rewards: m.rewards,
          advantage: m.advantage,
          truncated: m.truncated,
          replayed: m.replayed,
          age: m.age,
        }),
      );
    });
    ipc.onRequest('rollouts/step/stats', async ({ runId, step }) => {
      const key = `${runId}\n${step}`;
      if (this.lastStats?.key !== key) {
        this.lastStats = { key, data: computeStepStats(await this.reader.readStepTokens(this.file(runId, step))) };
      }
      return this.lastStats.data;
    });
    ipc.onRequest('rollouts/step/search', ({ runId, step, text }) => this.reader.search(this.file(runId, step), text));
    ipc.onRequest('rollouts/prompt/steps', async ({ runId, prompt }) => {
      const run = this.run(runId);
      return this.reader.stepsWithPrompt(run.recordedSteps().map((step) => ({ step, file: run.rolloutsFile(step) })), prompt);
    });
  }

  private async step(runId: string, step: number): Promise<StepRollouts> {
    const key = `${runId}\n${step}`;
    if (this.lastStep?.key !== key) {
      this.lastStep = { key, data: await this.reader.readStep(this.file(runId, step)) };
    }
    return this.lastStep.data;
  }

  /** The shard row plus, when the run used difficulty-targeted selection, why its prompt was chosen. */
  private async rollout(runId: string, step: number, row: number): Promise<InspectedRollout> {
    const detail = await this.reader.readRollout(this.file(runId, step), row);
    if (this.selection?.runId !== runId) {
      this.selection = { runId, log: new SelectionLog(runPaths(this.run(runId).dir).selection) };
    }
    const selection = await this.selection.log.choiceOf(detail);
    return { ...detail, selection };
  }

  private run(runId: string): Run {
    const run = this.store.get(runId);
    if (!run) {
      throw new Error(`No run '${runId}' is known (was its folder removed?).`);
    }
    return run;
  }

  private file(runId: string, step: number): string {
    return this.run(runId).rolloutsFile(step);
  }

  // --- live: new shards appear while the run trains ------------------------------------------

  private watchedRun: string | undefined;

  private watch(run: Run): void {
    if (this.watchedRun === run.id) {
      return;
    }
    this.unwatch();
    this.watchedRun = run.id;
    let known = run.recordedSteps().join(',');
    this.hostDisposables.push(
      run.onDidChange(() => {
        const steps = run.recordedSteps().join(',');
        if (steps !== known) {
          known = steps;
          this.host?.ipc.notify('inspector/steps/didChange', runSteps(run));
        }
      }),
    );
  }

  private unwatch(): void {
    this.watchedRun = undefined;
    for (const d of this.hostDisposables.splice(0)) {
      d.dispose();
    }
  }

  dispose(): void {
    this.unwatch();
    this.storeListener.dispose();
    this.host?.dispose();
  }
}

function runSteps(run: Run): RunSteps {
  return { runId: run.id, runName: run.name(), steps: run.recordedSteps() };
}

// The Reward Lab panel: picks samples (a run's rollouts at a step, a dataset file, typed text),
// runs the chosen reward functions in the worker, and re-runs when a reward file is saved. Runs come
// from the run store (the Runs view's runs). After a window reload a panel is rebuilt from the
// state its app saved (LabSavedState) and scores its samples again.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../../log';
import { buildResult, mergeRuns, type RecordedRewards } from '../../rewards/labResult';
import { functionDefinition, functionsForRun, missingFileMessage, missingRewardFiles, refFile } from '../../rewards/rewardFunctions';
import { latestRunWithRollouts, type PendingRun } from '../../rewards/latestRun';
import { runRewardFunctions, scoreOnnxRewards, type RewardModelRequest } from '../../rewards/onnxRewards';
import type { Run, RunStore } from '../../runs/model';
import type { WorkerHost } from '../../worker/workerHost';
import type { FunctionScores, RewardSample, RewardsRunResult } from '../../worker/protocol';
import { pickRun } from '../../views/pickRun';
import { describeRecordedSteps, hasRecordedRollouts } from '../../views/runPickItems';
import { WebviewPanelHost } from '../shared/webviewPanel';
import {
  EXCERPT_COMPLETION,
  EXCERPT_PROMPT,
  type LabFunction,
  type LabSavedState,
  type LabState,
  type RewardLabProtocol,
  type TypedSample,
} from './protocol';

const BUILTINS = ['exact_answer', 'format', 'length_penalty', 'rlcr'];

export interface OpenLabArgs {
  /** A workspace reward function to test: absolute file path + function name. */
  file?: string;
  name?: string;
}

/** A panel VS Code restored after a window reload, and what its app had saved. */
export interface RestoredLab {
  panel: vscode.WebviewPanel;
  saved: Pick<LabSavedState, 'functions' | 'source'>;
}

export class RewardLabPanel implements vscode.Disposable {
  static readonly viewType = 'rlstudio.rewardLab';
  private readonly host: WebviewPanelHost<RewardLabProtocol>;
  private readonly disposables: vscode.Disposable[] = [];
  private state: LabState = {
    source: { kind: 'none' },
    functions: [],
    builtins: BUILTINS,
    samples: [],
    result: null,
    running: false,
    progress: null,
    warnings: [],
    error: null,
  };
  private samples: RewardSample[] = [];
  /** Reward files seen to exist: one missing later "no longer exists"; one never seen "does not exist". */
  private readonly seenFiles = new Set<string>();
  private recorded: RecordedRewards | null = null;
  private baseDir: string | undefined;
  private cancel: vscode.CancellationTokenSource | undefined;
  private rerunQueued = false;
  /** The worker's last answer for the current samples: a "Test on Rollouts" runs one function and keeps the others' scores. */
  private lastRun: RewardsRunResult | null = null;
  /** Opened with no samples: the run it opens on once the store's first scan has found one. */
  private pending: PendingRun | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly worker: WorkerHost,
    private readonly store: RunStore,
    /** Settles when the store's first scan has ended. */
    private readonly scanned: Promise<void>,
    /** Scores ONNX reward models (the scoring process's `reward` request). */
    private readonly rewardModel: RewardModelRequest,
    private readonly log: Log,
    onDispose: () => void,
    restored?: RestoredLab,
  ) {
    if (restored) {
      // The page starts from what was saved (the app saves again what it is given).
      this.state.functions = restored.saved.functions;
      this.state.source = restored.saved.source;
      this.state.progress = 'restoring…';
    }
    this.host = new WebviewPanelHost<RewardLabProtocol>({
      viewType: RewardLabPanel.viewType,
      title: 'Reward Lab',
      app: 'rewardLab',
      extensionUri,
      initialState: this.state,
      panel: restored?.panel,
      column: vscode.ViewColumn.Beside, // next to the reward code it tests
      ipc: { snapshots: ['lab/state'], onError: (method, error) => this.fail(`${method}: ${message(error)}`) },
    });
    const ipc = this.host.ipc;
    ipc.onReady(() => this.publish());
    ipc.onCommand('lab/run', () => this.run('manual'));
    ipc.onCommand('lab/chooseSource', ({ kind }) => this.chooseSource(kind));
    ipc.onCommand('lab/setStep', ({ step }) => this.loadRun(this.state.source.kind === 'run' ? this.state.source.runDir : '', step));
    ipc.onCommand('lab/setText', (params) => this.setText(params));
    ipc.onCommand('lab/toggleFunction', ({ name, enabled }) => {
      this.state.functions = this.state.functions.map((f) => (f.name === name ? { ...f, enabled } : f));
      this.publish();
    });
    ipc.onCommand('lab/addBuiltin', ({ name }) => {
      this.addFunction({ name, ref: name, weight: 1, origin: 'builtin', enabled: true });
    });
    ipc.onCommand('lab/openFrame', ({ file, line }) => openFrame(file, line));
    this.disposables.push(vscode.workspace.onDidSaveTextDocument((doc) => this.onSaved(doc.uri.fsPath)));
    this.host.onDidDispose(() => {
      this.dispose();
      onDispose();
    });
  }

  reveal(): void {
    this.host.panel.reveal();
  }

  /** Open with a workspace function (from the CodeLens), on the latest run's rollouts if none chosen yet. */
  async open(args: OpenLabArgs): Promise<void> {
    let only: string | undefined;
    if (args.file && args.name) {
      only = this.addFunction({ name: args.name, ref: `${args.file}:${args.name}`, weight: 1, origin: 'workspace', enabled: true }, false);
    }
    if (this.state.source.kind === 'none') {
      const latest = runsWithRollouts(this.store)[0];
      if (latest) await this.loadRun(latest.dir, undefined, false);
      else {
        this.state.warnings = ['No run in the Runs view has recorded rollouts yet: choose a dataset file or type a sample.'];
        this.openWhenFound();
      }
    }
    this.publish();
    if (this.samples.length > 0 && this.state.functions.some((f) => f.enabled)) await this.run('manual', only);
  }

  /** After a window reload: loads the saved sample source again and scores it with the saved functions. */
  async restore(): Promise<void> {
    const source = this.state.source;
    this.state.progress = null;
    if (source.kind === 'none') return this.open({});
    if (source.kind === 'run') await this.loadRun(source.runDir, source.step, false);
    else if (source.kind === 'dataset') await this.loadDataset(source.file, false);
    else this.setTyped(source.samples);
    // The restored functions were in the Lab before the reload: a file of theirs missing now "no longer exists".
    for (const f of this.state.functions) {
      const file = refFile(f.ref, this.baseDir);
      if (file) this.seenFiles.add(file);
    }
    this.publish();
    await this.run('manual');
  }

  /** With no samples yet: opens on the newest run with rollouts once the store's first scan (or a later run) brings one. */
  private openWhenFound(): void {
    if (this.pending) return;
    const pending = (this.pending = latestRunWithRollouts(this.store, this.scanned));
    void pending.run.then(async (run) => {
      if (this.pending === pending) this.pending = undefined;
      if (!run || this.state.source.kind !== 'none') return;
      this.state.warnings = [];
      await this.loadRun(run.dir, undefined);
    });
  }

  // --- samples ----------------------------------------------------------------------------------

  private async chooseSource(kind: 'run' | 'dataset' | 'text'): Promise<void> {
    if (kind === 'text') {
      this.setTyped([]);
      this.publish();
      return;
    }
    if (kind === 'run') {
      const runs = runsWithRollouts(this.store);
      const pick = await pickRun(runs, {
        placeHolder: runs.length ? 'Run whose rollouts to score' : 'No run with recorded rollouts (see the Runs view)',
        alwaysAsk: true,
        describe: describeRecordedSteps,
      });
      if (pick) await this.loadRun(pick.dir, undefined);
      return;
    }
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['jsonl', 'json', 'parquet'] } });
    if (!files?.[0]) return;
    await this.loadDataset(files[0].fsPath);
    await this.run('manual');
  }

  private async loadDataset(file: string, publish = true): Promise<void> {
    await this.guard(async () => {
      const loaded = await this.worker.request('samples/fromDataset', { file, limit: 256 });
      this.state.source = { kind: 'dataset', file };
      this.state.warnings = loaded.warnings;
      this.setSamples(loaded.samples, null, path.dirname(file));
    }, publish);
  }

  private async loadRun(runDir: string, step: number | undefined, publish = true): Promise<void> {
    await this.guard(async () => {
      const loaded = await this.worker.request('samples/fromRun', { runDir, step });
      // The store may not know the run yet (still scanning after a reload): then the name shown before.
      const shown = this.state.source.kind === 'run' && this.state.source.runDir === runDir ? this.state.source.runName : undefined;
      const runName = this.store.runs().find((run) => run.dir === runDir)?.name() ?? shown ?? path.basename(runDir);
      this.state.source = { kind: 'run', runDir, runName, step: loaded.step, steps: loaded.steps };
      this.state.warnings = loaded.warnings;
      // The functions another run brought go; the user's own stay.
      this.state.functions = functionsForRun(this.state.functions, loaded.rewards);
      this.state.functions.push(...runRewardFunctions(loaded.rewards, loaded.baseDir, new Set(this.state.functions.map((f) => f.name))));
      const names = loaded.rewards.map((r) => r.name);
      const recorded: RecordedRewards = {
        total: loaded.samples.map((s) => s.recorded.reward),
        byFunction: Object.fromEntries(names.map((n) => [n, loaded.samples.map((s) => s.recorded.rewards[n] ?? null)])),
      };
      this.setSamples(loaded.samples, recorded, loaded.baseDir);
    }, publish);
    if (publish) await this.run('manual');
  }

  private setText(sample: TypedSample): void {
    this.setTyped([...(this.state.source.kind === 'text' ? this.state.source.samples : []), sample]);
    void this.run('manual');
  }

  private setTyped(typed: TypedSample[]): void {
    this.state.source = { kind: 'text', samples: typed };
    const samples = typed.map(({ prompt, completion, answer }) => ({ prompt, completion, columns: answer ? { answer } : {} }));
    this.setSamples(samples, null, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  }

  private setSamples(samples: (RewardSample & { recorded?: { reward: number | null; rewards: Record<string, number | null> } })[], recorded: RecordedRewards | null, baseDir: string | undefined): void {
    this.samples = samples.map(({ prompt, completion, columns }) => ({ prompt, completion, columns }));
    this.recorded = recorded;
    this.baseDir = baseDir;
    this.state.result = null;
    this.lastRun = null;
    this.state.samples = samples.map((s) => ({
      prompt: excerpt(s.prompt, EXCERPT_PROMPT, true),
      completion: excerpt(s.completion, EXCERPT_COMPLETION, false),
      recordedTotal: s.recorded?.reward ?? null,
      recorded: s.recorded?.rewards ?? {},
    }));
  }

  // --- running ----------------------------------------------------------------------------------

  /** Adds (or enables) a function; returns its name in the Lab. */
  private addFunction(fn: LabFunction, publish = true): string {
    const existing = this.state.functions.find((f) => f.ref === fn.ref);
    const name = existing?.name ?? uniqueName(fn.name, this.state.functions);
    if (existing) existing.enabled = true;
    else this.state.functions.push({ ...fn, name });
    if (publish) {
      this.publish();
      void this.run('manual', name);
    }
    return name;
  }

  private onSaved(file: string): void {
    const touched = this.state.functions.some((f) => f.enabled && refFile(f.ref, this.baseDir) === path.resolve(file));
    if (touched && this.samples.length > 0) void this.run('save');
  }

  /** Scores the samples with the enabled functions; with `only`, that one alone when the others' scores are known. */
  private async run(reason: 'manual' | 'save', only?: string): Promise<void> {
    const enabled = this.state.functions.filter((f) => f.enabled);
    if (enabled.length === 0 || this.samples.length === 0) return;
    if (this.state.running) {
      this.rerunQueued = true;
      this.cancel?.cancel();
      return;
    }
    this.state.running = true;
    this.state.progress = enabled.some((f) => !f.onnx) ? 'starting the worker…' : 'scoring…';
    this.publish();
    this.cancel = new vscode.CancellationTokenSource();
    await this.guard(async () => {
      // A reward file deleted or moved (e.g. since the window was reloaded) is named, not run.
      const missing = missingRewardFiles(enabled, this.baseDir);
      const functions = enabled.filter((f) => !missing.some((m) => m.functions.includes(f.name)));
      if (missing.length > 0) {
        this.state.error = missing.map((m) => missingFileMessage(m, this.seenFiles)).join('\n');
      }
      for (const f of functions) {
        const file = refFile(f.ref, this.baseDir);
        if (file) this.seenFiles.add(file);
      }
      if (functions.length === 0) return;
      // One function asked for, the others' scores known: run it alone (a slow neighbour costs nothing).
      const known = only !== undefined && this.lastRun !== null && mergeRuns(this.lastRun, { functions: [], total: [] }, functions.filter((f) => f.name !== only)) !== undefined;
      const running = known ? functions.filter((f) => f.name === only) : functions;
      const python = running.filter((f) => !f.onnx);
      const fresh: FunctionScores[] = [];
      if (python.length > 0) {
        const answer = await this.worker.request(
          'rewards/run',
          { functions: python.map(({ name, ref, weight }) => ({ name, ref, weight })), samples: this.samples, baseDir: this.baseDir, timeoutS: 30 },
          { token: this.cancel!.token, onProgress: (p) => ((this.state.progress = p.message), this.publish()) },
        );
        fresh.push(...answer.functions);
      }
      const onnx = running.flatMap((f) => (f.onnx ? [{ name: f.name, onnx: f.onnx, weight: f.weight }] : []));
      if (onnx.length > 0) {
        this.state.progress = `scoring with ${onnx.map((f) => f.name).join(', ')} (ONNX)…`;
        this.publish();
        fresh.push(...(await scoreOnnxRewards(onnx, this.samples, this.rewardModel)));
      }
      // In the list's order, the total recomputed; the others' scores kept when one function ran.
      const answered = { functions: fresh, total: this.samples.map(() => null) };
      const result = mergeRuns(known ? this.lastRun : null, answered, functions) ?? answered;
      this.lastRun = result;
      const definitions = new Map(functions.flatMap((f) => {
        const at = functionDefinition(f.ref, this.baseDir);
        return at ? [[f.name, at] as const] : [];
      }));
      this.state.result = buildResult(result, this.state.result, this.recorded, reason, definitions);
      this.log.info(`reward lab: ${running.length} of ${functions.length} functions run on ${this.samples.length} samples (${reason})`);
    }, false);
    this.state.running = false;
    this.state.progress = null;
    this.cancel.dispose();
    this.cancel = undefined;
    this.publish();
    if (this.rerunQueued) {
      this.rerunQueued = false;
      await this.run(reason);
    }
  }

  private async guard(body: () => Promise<void>, publish = true): Promise<void> {
    try {
      this.state.error = null;
      await body();
    } catch (error) {
      if (!(error instanceof Error && /cancel/i.test(error.message) && this.rerunQueued)) this.fail(message(error));
    }
    if (publish) this.publish();
  }

  private fail(text: string): void {
    this.state.error = text;
    this.log.warn(`reward lab: ${text}`);
    this.publish();
  }

  private publish(): void {
    this.host.ipc.notify('lab/state', this.state);
  }

  dispose(): void {
    this.cancel?.cancel();
    this.pending?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.host.dispose();
  }
}

// --- helpers ----------------------------------------------------------------------------------------

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function excerpt(text: string, max: number, tail: boolean): string {
  if (text.length <= max) return text;
  return tail ? `…${text.slice(-max)}` : `${text.slice(0, max)}…`;
}

function uniqueName(name: string, functions: LabFunction[]): string {
  let candidate = name;
  for (let n = 2; functions.some((f) => f.name === candidate); n++) candidate = `${name}_${n}`;
  return candidate;
}

async function openFrame(file: string, line: number): Promise<void> {
  const uri = vscode.Uri.file(file);
  const position = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: false });
}

/** The store's runs (newest first) that have recorded rollouts. */
function runsWithRollouts(store: RunStore): Run[] {
  return store.runs().filter(hasRecordedRollouts);
}

// Compare Checkpoints: the panel, its serializer, and the commands "RL Studio: Compare Checkpoints"
// (palette, a run's or checkpoints' context menu in the Runs view) and "New Evaluation…", which
// starts `rlstudio eval` detached with a cancellable progress notification.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { readEvalManifest, startEval, startScore, stderrTail, stopEval, type EvalRequest } from '../evals/evalLauncher';
import { listEvals, type EvalPaths } from '../evals/evalReader';
import { resolveInterpreter, trainerCli, type TrainerCli } from '../python/interpreter';
import { COMMAND_IDS } from '../commandIds';
import { evalPaths } from '../runs/runFormat';
import type { Run, RunStore } from '../runs/model';
import { UNTRUSTED_MESSAGE } from '../trainer/runManager';
import { pickRun } from '../views/pickRun';
import type { RunNode } from '../views/runTree';
import { ComparePanels } from '../webviews/compare/comparePanel';

interface Log {
  info(message: string): void;
  error(message: string, ...args: unknown[]): void;
}

const SAMPLE_CHOICES = [4, 16, 64, 256];

export class CompareFeature implements vscode.Disposable {
  readonly panels: ComparePanels;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly log: Log,
  ) {
    this.panels = new ComparePanels(
      extensionUri,
      store,
      {
        newEvaluation: (runId) => {
          const run = store.get(runId);
          if (run) void this.evaluate(run);
        },
        stopEvaluation: (runDir, evalId) => void this.stop(evalPaths(runDir, evalId)),
        crossScore: (runId, evalId, checkpoint, scorer) => void this.crossScore(store.get(runId), evalId, checkpoint, scorer),
        openSample: (target) => void vscode.commands.executeCommand(COMMAND_IDS.openEvalSample, target),
      },
      log,
    );
    this.subscriptions.push(this.panels, this.panels.registerSerializer());
  }

  // --- commands ---

  /** From a run, or checkpoints selected together in the Runs view, or the palette (a quick pick). */
  compareCheckpoints = async (node?: RunNode, selected?: readonly RunNode[]): Promise<void> => {
    const nodes = selected?.length ? selected : node ? [node] : [];
    const runs = [...new Set(nodes.map((n) => n.run))];
    if (runs.length > 1) {
      void vscode.window.showWarningMessage('RL Studio compares checkpoints of one run at a time; select checkpoints of a single run.');
      return;
    }
    const run = runs[0] ?? (await this.pickRun('Compare the checkpoints of which run?'));
    if (!run) return;
    const checkpoints = nodes.flatMap((n) => (n.kind === 'checkpoint' ? [path.basename(n.checkpoint.dir)] : []));
    if (checkpoints.length === 0) {
      await this.panels.show(run.id);
      return;
    }
    // Checkpoints chosen in the tree: the newest eval that has them all, else offer to evaluate them.
    const { evals } = await listEvals(run.dir);
    const covering = evals.find((e) => checkpoints.every((c) => e.checkpoints.some((x) => x.name === c)));
    await this.panels.show(run.id, covering?.id);
    if (!covering) await this.evaluate(run, ['base', ...checkpoints]);
  };

  /** From a run's context menu, the palette (the run in the panel, else a quick pick) or the panel. */
  newEvaluation = async (node?: RunNode): Promise<void> => {
    const run = node?.run ?? (this.panels.shownRun ? this.store.get(this.panels.shownRun) : undefined) ?? (await this.pickRun('Evaluate the checkpoints of which run?'));
    if (run) await this.evaluate(run);
  };

  /** Asks for checkpoints and samples, starts `rlstudio eval`, follows it in a notification. */
  private async evaluate(run: Run, preselected?: string[]): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE);
      return;
    }
    const request = await this.askRequest(run, preselected);
    if (!request) return;
    const { cli, cwd } = await this.cli(run);
    const launched = startEval(cli, run.dir, request, cwd);
    this.log.info(`eval ${launched.evalId} of ${run.dir} started (pid ${launched.pid})`);
    await this.panels.show(run.id, launched.evalId);
    void this.follow(run, launched.paths, launched.exited);
  }

  /** `rlstudio score` with a notification until it ends; the panel picks up the file it writes. */
  private async crossScore(run: Run | undefined, evalId: string, checkpoint: string, scorer: string): Promise<void> {
    if (!run) return;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE);
      return;
    }
    const { cli, cwd } = await this.cli(run);
    const launched = startScore(cli, run.dir, evalId, checkpoint, scorer, cwd);
    this.log.info(`scoring ${checkpoint}'s samples of ${evalId} under ${scorer} (pid ${launched.pid})`);
    const code = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Scoring ${checkpoint}'s samples under ${scorer}…` },
      () => launched.exited,
    );
    if (code !== 0) {
      const tail = stderrTail(launched.logs, 5);
      void vscode.window.showErrorMessage(`Scoring ${checkpoint} under ${scorer} failed (exit ${code}). ${tail}`);
    }
    await this.panels.refresh();
  }

  /** The trainer CLI for a run, and the folder its config's relative paths resolve from. */
  private async cli(run: Run): Promise<{ cli: TrainerCli; cwd: string }> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir)) ?? vscode.workspace.workspaceFolders?.[0];
    const interpreter = await resolveInterpreter(folder);
    this.log.info(`trainer Python: ${interpreter.python} (from ${interpreter.source})`);
    const configPath = run.manifest?.configPath;
    return { cli: trainerCli(interpreter.python), cwd: configPath ? path.dirname(configPath) : run.dir };
  }

  private async askRequest(run: Run, preselected?: string[]): Promise<EvalRequest | undefined> {
    const names = ['base', ...run.checkpoints().map((c) => path.basename(c.dir))];
    const latest = names.at(-1);
    const chosen = new Set(preselected ?? (latest && latest !== 'base' ? ['base', latest] : ['base']));
    const picked = await vscode.window.showQuickPick(
      names.map((name) => ({ label: name, description: name === 'base' ? 'the model before training' : name === latest ? 'latest' : undefined, picked: chosen.has(name) })),
      { canPickMany: true, title: `Evaluate which checkpoints of ${run.name()}?` },
    );
    if (!picked?.length) return undefined;
    const samples = await vscode.window.showQuickPick(
      SAMPLE_CHOICES.map((n) => ({ label: String(n), description: n === 16 ? 'samples per prompt (default)' : 'samples per prompt', n })),
      { title: 'Samples per prompt (n): pass@k is computed for k = 1, 2, 4, … n' },
    );
    if (!samples) return undefined;
    return { checkpoints: picked.map((p) => p.label), samples: samples.n, name: 'compare' };
  }

  /** A progress notification until the eval ends; Cancel asks it to stop. */
  private follow(run: Run, paths: EvalPaths, exited: Promise<number | string>): Thenable<void> {
    let ended: number | string | undefined;
    void exited.then((code) => (ended = code));
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Evaluating ${run.name()}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.stop(paths));
        let reported = 0;
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          const m = readEvalManifest(paths);
          if (m) {
            const done = m.checkpoints.reduce((s, c) => s + c.samplesDone, 0);
            const total = m.checkpoints.reduce((s, c) => s + c.samplesTotal, 0) || 1;
            const running = m.checkpoints.find((c) => c.status === 'running');
            progress.report({ increment: (100 * (done - reported)) / total, message: running ? `${running.name}: ${running.samplesDone}/${running.samplesTotal} samples` : m.status });
            reported = done;
            if (m.status !== 'running') {
              this.announce(run, m.status, m.error);
              return;
            }
          }
          if (ended !== undefined && (!m || m.status === 'running')) {
            // The process is gone without writing an end status (or any eval.json at all).
            const tail = stderrTail(paths.logs);
            this.log.error(`eval in ${paths.dir} exited (${ended})${tail ? `:\n${tail}` : ''}`);
            void vscode.window.showErrorMessage(`The evaluation of ${run.name()} ended (exit ${ended}) ${m ? 'without finishing' : 'before it started'}.${tail ? ` ${tail.split('\n').at(-1)}` : ''}`);
            return;
          }
        }
      },
    );
  }

  private announce(run: Run, status: string, error: string | null): void {
    if (status === 'completed') void vscode.window.showInformationMessage(`The evaluation of ${run.name()} is complete.`);
    else if (status === 'failed') void vscode.window.showErrorMessage(`The evaluation of ${run.name()} failed: ${error ?? 'see its logs'}`);
    else void vscode.window.showInformationMessage(`The evaluation of ${run.name()} was stopped; the checkpoints it finished stay readable.`);
  }

  private async stop(paths: EvalPaths): Promise<void> {
    const stage = await stopEval(paths, { graceMs: 30_000, termMs: 10_000 });
    this.log.info(`stop eval ${paths.dir}: ${stage}`);
  }

  private pickRun(title: string): Promise<Run | undefined> {
    return pickRun(this.store.runs(), { title, none: 'RL Studio: there are no runs yet. Start one with "RL Studio: Start Run".' });
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

// Training results above reward code: for each reward function a run's config references, a CodeLens
// with its values at the run's latest recorded step (`mean 0.41 · std 0.22 · 3 errors at step 120
// (run X)`); clicking it opens the failing samples as rollout documents (their hover shows the
// traceback).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { rewardLensText } from '../../inline/annotationText';
import type { RolloutAddress } from '../../inline/rolloutAddress';
import type { RolloutSource } from '../../inline/rolloutSource';
import type { Run, RunStore } from '../../runs/model';
import type { RolloutScore } from '../../runs/rolloutTypes';
import { findRewardFunctions, refFile } from '../../rewards/rewardFunctions';
import { formatNumber } from '../../common/format';
import { COMMAND_IDS } from '../../commandIds';
import type { RolloutDocuments } from './rolloutDocuments';

const OPEN_REWARD_ERRORS_COMMAND = COMMAND_IDS.openRewardErrors;

interface ErrorTarget {
  run: Run;
  step: number;
  name: string;
  errors: RolloutScore[];
}

export class RewardLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly targets = new Map<number, ErrorTarget>();
  private nextId = 1;
  private readonly subscriptions: vscode.Disposable[] = [];
  private known = '';

  constructor(
    private readonly store: RunStore,
    private readonly source: RolloutSource,
    private readonly documents: RolloutDocuments,
  ) {
    this.subscriptions.push(
      this.changed,
      vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, this),
      // New recorded steps change the numbers.
      store.onDidChangeRuns(() => {
        const now = store.runs().map((r) => `${r.id}:${r.recordedSteps().at(-1)}`).join(',');
        if (now !== this.known) {
          this.known = now;
          this.changed.fire();
        }
      }),
    );
  }

  /** (run, reward entry name) of every run whose config references `file:fn`. */
  private references(file: string, fn: string): { run: Run; name: string }[] {
    const found: { run: Run; name: string }[] = [];
    const exact: { run: Run; name: string }[] = [];
    for (const run of this.store.runs()) {
      if (run.recordedSteps().length === 0) continue;
      const rewards = run.manifest?.config?.rewards;
      if (!Array.isArray(rewards)) continue;
      const base = run.manifest?.configPath ? path.dirname(run.manifest.configPath) : run.dir;
      for (const entry of rewards as { name?: unknown; ref?: unknown }[]) {
        if (typeof entry?.ref !== 'string' || typeof entry.name !== 'string' || !entry.ref.endsWith(`:${fn}`)) continue;
        const target = refFile(entry.ref, base);
        if (!target) continue;
        if (target === file) exact.push({ run, name: entry.name });
        else if (path.basename(target) === path.basename(file)) found.push({ run, name: entry.name }); // a copied run
      }
    }
    return exact.length > 0 ? exact : found;
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const lenses: vscode.CodeLens[] = [];
    for (const { name: fn, line } of findRewardFunctions(document.getText())) {
      for (const { run, name } of this.references(path.resolve(document.uri.fsPath), fn)) {
        const step = run.recordedSteps().at(-1)!;
        let rows: RolloutScore[];
        try {
          rows = await this.source.stepScores(run, step);
        } catch (error) {
          lenses.push(new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: `run ${run.name()}: ${error instanceof Error ? error.message : String(error)}`, command: '' }));
          continue;
        }
        const { text, errors } = rewardLensText(name, rows, step, run.name());
        const id = this.nextId++;
        this.targets.set(id, { run, step, name, errors });
        if (this.targets.size > 1000) this.targets.delete(this.targets.keys().next().value as number); // lenses are redrawn often
        const range = new vscode.Range(line, 0, line, 0);
        lenses.push(
          new vscode.CodeLens(range, errors.length > 0
            ? { title: text, command: OPEN_REWARD_ERRORS_COMMAND, arguments: [id], tooltip: `Open the samples where ${name} failed at step ${step}` }
            : { title: text, command: '', tooltip: `Reward ${name} at step ${step} of run ${run.name()}` }),
        );
      }
    }
    return lenses;
  }

  /** Opens the failing samples of a lens: one directly, several through a quick pick. */
  openErrors = async (id: unknown): Promise<void> => {
    const target = typeof id === 'number' ? this.targets.get(id) : undefined;
    if (!target) return;
    const address = (r: RolloutScore): RolloutAddress => ({ kind: 'step', runDir: target.run.dir, runName: target.run.name(), step: target.step, prompt: r.promptIndex, sample: r.groupIndex });
    if (target.errors.length === 1) {
      await this.documents.show(address(target.errors[0]), { preview: false });
      return;
    }
    const pick = await vscode.window.showQuickPick(
      target.errors.map((r) => ({
        label: `prompt ${r.promptIndex} · sample ${r.groupIndex}`,
        description: `reward ${formatNumber(r.reward)}`,
        detail: (r.rewardError ?? '').split('\n').find((l) => l.startsWith(`${target.name}:`)),
        row: r,
      })),
      { title: `${target.name}: ${target.errors.length} failing samples at step ${target.step}` },
    );
    if (pick) await this.documents.show(address(pick.row), { preview: false });
  };

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

// Inline rollout inspection, wired into VS Code: rollouts as read-only documents with token heat,
// hovers and navigation (wiring/inline/rolloutDocuments.ts, rolloutNavigation.ts), "Open Rollout…",
// the Runs view's prompts and samples, dataset line annotations and reward CodeLens numbers. The
// logic lives in src/inline/. Owned by the Ctx.

import type * as vscode from 'vscode';
import { meanRewardText } from '../inline/annotationText';
import type { RolloutAddress } from '../inline/rolloutAddress';
import { RolloutSource } from '../inline/rolloutSource';
import type { Log } from '../log';
import type { Run, RunStore } from '../runs/model';
import type { RolloutScore } from '../runs/rolloutTypes';
import type { EvalSampleTarget } from '../webviews/compare/comparePanel';
import { formatNumber } from '../common/format';
import type { RolloutBrowser, RunNode, RunTreeProvider } from '../views/runTree';
import { DatasetAnnotations } from './inline/datasetAnnotations';
import { pickAndOpenRollout } from './inline/openRollout';
import { RewardLens } from './inline/rewardLens';
import { RolloutDocuments } from './inline/rolloutDocuments';
import { RolloutLinks } from './inline/rolloutLinks';
import { RolloutNavigation } from './inline/rolloutNavigation';

export class InlineFeature implements vscode.Disposable {
  readonly source: RolloutSource;
  readonly documents: RolloutDocuments;
  readonly navigation: RolloutNavigation;
  readonly datasets: DatasetAnnotations;
  readonly rewards: RewardLens;
  private readonly links = new RolloutLinks();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly store: RunStore,
    state: vscode.Memento,
    tree: RunTreeProvider,
    inspect: (runId: string, step: number, row: number) => void,
    log: Log,
  ) {
    this.source = new RolloutSource(store);
    this.documents = new RolloutDocuments(this.source, state, log);
    this.navigation = new RolloutNavigation(this.documents, inspect);
    this.datasets = new DatasetAnnotations(store, this.source, this.links, log);
    this.rewards = new RewardLens(store, this.source, this.documents);
    tree.rollouts = this.browser();
    this.subscriptions.push(this.documents, this.navigation, this.datasets, this.rewards);
  }

  // --- commands ---

  /** "RL Studio: Open Rollout…"; from a step of the Runs view, that step. */
  openRollout = (node?: RunNode) =>
    pickAndOpenRollout(this.store, this.source, this.documents, node && 'run' in node ? { run: node.run, step: node.kind === 'rolloutStep' ? node.step : undefined } : undefined);

  openFromInspector = async (target: { runId: string; step: number; promptIndex: number; groupIndex: number }) => {
    const run = this.store.get(target.runId);
    if (run) await this.show({ kind: 'step', runDir: run.dir, runName: run.name(), step: target.step, prompt: target.promptIndex, sample: target.groupIndex });
  };

  /** "Open in Editor" on a sample of the Compare panel. */
  openEvalSample = async (target?: EvalSampleTarget) => {
    const run = target && this.store.get(target.runId);
    if (!target || !run) return;
    await this.show({ kind: 'eval', runDir: run.dir, runName: run.name(), evalId: target.evalId, checkpoint: target.checkpoint, promptId: target.promptId, sample: target.sample });
  };

  openFromTree = async (node?: RunNode) => {
    if (node?.kind === 'rolloutSample') {
      await this.show({ kind: 'step', runDir: node.run.dir, runName: node.run.name(), step: node.step, prompt: node.promptIndex, sample: node.groupIndex });
    }
  };

  /** A hover link's target (the id RolloutLinks handed out). */
  openLinked = async (id?: number) => {
    const address = this.links.resolve(id);
    if (address) await this.show(address);
  };

  private async show(address: RolloutAddress): Promise<void> {
    await this.documents.show(address, { preview: false });
  }

  private browser(): RolloutBrowser {
    const rows = (run: Run, step: number) => this.source.stepScores(run, step);
    return {
      prompts: async (run, step) => {
        const groups = new Map<number, RolloutScore[]>();
        for (const r of await rows(run, step)) groups.set(r.promptIndex, [...(groups.get(r.promptIndex) ?? []), r]);
        return [...groups].map(([promptIndex, group]) => ({
          promptIndex,
          label: `prompt ${promptIndex}`,
          description: `mean reward ${meanRewardText(group)} · ${group.length} samples`,
        }));
      },
      samples: async (run, step, promptIndex) =>
        (await rows(run, step))
          .filter((r) => r.promptIndex === promptIndex)
          .map((r) => ({ groupIndex: r.groupIndex, label: `sample ${r.groupIndex}`, description: `reward ${formatNumber(r.reward)}${r.rewardError ? ' · reward error' : ''}` })),
    };
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

import type * as vscode from "vscode";
import { COMMAND_IDS as ID, type CommandId } from "../commandIds";
import type { Log } from "../log";
import type { CompareFeature } from "./compareFeature";
import type { InlineFeature } from "./inlineFeature";
import type { KnowledgeFeature } from "./knowledgeFeature";
import type { OnnxFeature } from "./onnxFeature";
import type { RewardsFeature } from "./rewardsFeature";
import type { RunsFeature } from "./runsFeature";
import type { WebviewsFeature } from "./webviewsFeature";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take whatever VS Code passes.
type Handler = (...args: any[]) => unknown;

/** What the handlers act on: the features the context (ctx.ts) creates. */
export interface Features {
  readonly log: Log;
  readonly runs: RunsFeature;
  readonly rewards: RewardsFeature;
  readonly knowledge: KnowledgeFeature;
  readonly webviews: WebviewsFeature;
  readonly onnx: OnnxFeature;
  readonly compare: CompareFeature;
  readonly inline: InlineFeature;
}

/**
 * Every command of the extension: command id → `(features) => handler`, one entry per id of
 * src/commandIds.ts (the type says so). A command that needs something absent (a running trainer,
 * a trusted workspace) says so plainly.
 */
export const COMMANDS: Record<CommandId, (features: Features) => Handler> = {
  [ID.showLogs]: (f) => () => f.log.show(true),
  [ID.startRun]: (f) => f.runs.start,
  [ID.stopRun]: (f) => f.runs.stop,
  [ID.saveCheckpoint]: (f) => f.runs.save,
  [ID.resumeRun]: (f) => f.runs.resume,
  [ID.selectSubset]: (f) => f.runs.selectSubset,
  [ID.openRun]: (f) => f.runs.open,
  [ID.showRunLog]: (f) => f.runs.showLog,
  [ID.openRunConfig]: (f) => f.runs.openConfig,
  [ID.revealRun]: (f) => f.runs.reveal,
  [ID.deleteRun]: (f) => f.runs.delete,
  [ID.refreshRuns]: (f) => f.runs.refresh,
  [ID.createRunConfig]: (f) => f.runs.createConfig,
  [ID.runDemo]: (f) => f.runs.runDemo,
  [ID.setupEnvironment]: (f) => f.runs.setUpEnvironment,
  [ID.openDashboard]: (f) => f.webviews.openDashboard,
  [ID.inspectRollouts]: (f) => f.webviews.inspectRollouts,
  [ID.compareCheckpoints]: (f) => f.compare.compareCheckpoints,
  [ID.newEvaluation]: (f) => f.compare.newEvaluation,
  [ID.openRewardLab]: (f) => (args?: { file: string; name: string }) => f.rewards.openLab(args),
  [ID.addRewardToConfig]: (f) => (args: { file: string; name: string }) => f.rewards.addToConfig(args),
  [ID.restartWorker]: (f) => () => f.rewards.worker.restart(),
  [ID.showWorkerOutput]: (f) => () => f.rewards.worker.showOutput(),
  [ID.scoreSelection]: (f) => f.onnx.scoreSelection,
  [ID.compareSelection]: (f) => f.onnx.compareSelection,
  [ID.clearScores]: (f) => f.onnx.clearScores,
  [ID.exportCheckpoint]: (f) => f.onnx.exportCheckpoint,
  [ID.openKpEditor]: (f) => (uri?: vscode.Uri) => f.knowledge.openEditor(uri),
  [ID.findMinimalSubsets]: (f) => (uri?: vscode.Uri) => f.knowledge.findMinimalSubsets(uri),
  [ID.makePreferencePairs]: (f) => f.rewards.makePairs,
  [ID.openRollout]: (f) => f.inline.openRollout,
  [ID.openRolloutFromInspector]: (f) => f.inline.openFromInspector,
  [ID.openEvalSample]: (f) => f.inline.openEvalSample,
  [ID.openRolloutFromTree]: (f) => f.inline.openFromTree,
  [ID.openLinkedRollout]: (f) => f.inline.openLinked,
  [ID.openRewardErrors]: (f) => (id: number) => f.inline.rewards.openErrors(id),
  [ID.pickDatasetRun]: (f) => () => f.inline.datasets.pickRun(),
  [ID.nextSample]: (f) => () => f.inline.navigation.sample(1),
  [ID.previousSample]: (f) => () => f.inline.navigation.sample(-1),
  [ID.nextStep]: (f) => () => f.inline.navigation.step(1),
  [ID.previousStep]: (f) => () => f.inline.navigation.step(-1),
  [ID.nextForkingToken]: (f) => () => f.inline.navigation.forking(1),
  [ID.previousForkingToken]: (f) => () => f.inline.navigation.forking(-1),
  [ID.switchColorMode]: (f) => () => f.inline.navigation.switchMeasure(),
  [ID.openRolloutInInspector]: (f) => () => f.inline.navigation.openInInspector(),
  [ID.diffWithSample]: (f) => () => f.inline.navigation.diff(),
};

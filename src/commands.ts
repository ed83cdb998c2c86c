import type * as vscode from "vscode";
import type { Ctx } from "./ctx";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers take whatever VS Code passes.
type Handler = (...args: any[]) => unknown;

/**
 * Every command of the extension: command id → `(ctx) => handler`. Each id must also be declared
 * in package.json (contributes.commands). A command that needs something absent (a running
 * trainer, a trusted workspace) says so plainly.
 */
export const COMMANDS: Record<string, (ctx: Ctx) => Handler> = {
  "rlstudio.showLogs": (ctx) => () => ctx.log.show(true),
  "rlstudio.startRun": (ctx) => ctx.runs.start,
  "rlstudio.stopRun": (ctx) => ctx.runs.stop,
  "rlstudio.saveCheckpoint": (ctx) => ctx.runs.save,
  "rlstudio.resumeRun": (ctx) => ctx.runs.resume,
  "rlstudio.openRun": (ctx) => ctx.runs.open,
  "rlstudio.showRunLog": (ctx) => ctx.runs.showLog,
  "rlstudio.openRunConfig": (ctx) => ctx.runs.openConfig,
  "rlstudio.revealRun": (ctx) => ctx.runs.reveal,
  "rlstudio.deleteRun": (ctx) => ctx.runs.delete,
  "rlstudio.refreshRuns": (ctx) => ctx.runs.refresh,
  "rlstudio.createRunConfig": (ctx) => ctx.runs.createConfig,
  "rlstudio.runDemo": (ctx) => ctx.runs.runDemo,
  "rlstudio.setupEnvironment": (ctx) => ctx.runs.setUpEnvironment,
  "rlstudio.openDashboard": (ctx) => ctx.webviews.openDashboard,
  "rlstudio.inspectRollouts": (ctx) => ctx.webviews.inspectRollouts,
  "rlstudio.compareCheckpoints": (ctx) => ctx.compare.compareCheckpoints,
  "rlstudio.newEvaluation": (ctx) => ctx.compare.newEvaluation,
  "rlstudio.rewardLab.open": (ctx) => (args?: { file: string; name: string }) => ctx.rewards.openLab(args),
  "rlstudio.rewards.addToConfig": (ctx) => (args: { file: string; name: string }) => ctx.rewards.addToConfig(args),
  "rlstudio.worker.restart": (ctx) => () => ctx.rewards.worker.restart(),
  "rlstudio.worker.showOutput": (ctx) => () => ctx.rewards.worker.showOutput(),
  "rlstudio.kp.openEditor": (ctx) => (uri?: vscode.Uri) => ctx.knowledge.openEditor(uri),
  "rlstudio.kp.findMinimalSubsets": (ctx) => (uri?: vscode.Uri) => ctx.knowledge.findMinimalSubsets(uri),
};

import * as vscode from "vscode";
import { COMMANDS, type Features } from "./commands";
import type { Log } from "../log";
import { KnowledgeFeature } from "./knowledgeFeature";
import { OnnxFeature } from "./onnxFeature";
import { RewardsFeature } from "./rewardsFeature";
import { RunsFeature } from "./runsFeature";
import { CompareFeature } from "./compareFeature";
import { InlineFeature } from "./inlineFeature";
import { WebviewsFeature } from "./webviewsFeature";

/**
 * The extension's context: owns every disposable, process and store for the lifetime of the
 * extension, and hands dependencies to the features it creates. Features register what they
 * create with `ctx.subscriptions.push(...)`.
 */
export class Ctx implements Features, vscode.Disposable {
  readonly subscriptions: vscode.Disposable[] = [];
  /** Reward functions in the editor: CodeLens, Reward Lab, the worker. */
  readonly rewards: RewardsFeature;
  /** Knowledge-point files: diagnostics, KP editor, hint subset search. */
  readonly knowledge: KnowledgeFeature;
  /** Runs: store, Runs view, status bar, launching/stopping, run-config editing, environment set-up. */
  readonly runs: RunsFeature;
  /** The dashboard and the rollout inspector. */
  readonly webviews: WebviewsFeature;
  /** ONNX exports: scoring text in editors (scoring process), exporting checkpoints. */
  readonly onnx: OnnxFeature;
  /** Compare Checkpoints: evals of a run, their panel, starting `rlstudio eval`. */
  readonly compare: CompareFeature;
  /** Rollouts as editor documents, dataset line annotations, reward CodeLens numbers. */
  readonly inline: InlineFeature;

  constructor(
    readonly extension: vscode.ExtensionContext,
    /** The "RL Studio" output channel, created by `activate` before anything can fail. */
    readonly log: Log,
  ) {
    this.subscriptions.push(log);
    this.runs = new RunsFeature(extension, this.log);
    this.subscriptions.push(this.runs);
    // Before the rewards: the Reward Lab scores ONNX reward models in its scoring process.
    this.onnx = new OnnxFeature(extension, this.runs, this.log);
    this.subscriptions.push(this.onnx);
    this.rewards = new RewardsFeature(extension.extensionUri, this.runs.store, this.runs.scanned, this.onnx.client, this.log);
    this.subscriptions.push(this.rewards);
    this.knowledge = new KnowledgeFeature(extension.extensionUri, extension.workspaceState, this.rewards.worker);
    this.subscriptions.push(this.knowledge);
    // The inspector's "Open in Editor" reaches the inline feature, created next.
    this.webviews = new WebviewsFeature(extension.extensionUri, this.runs.store, this.log, (target) => void this.inline.openFromInspector(target));
    this.subscriptions.push(this.webviews);
    this.compare = new CompareFeature(extension.extensionUri, this.runs.store, this.log);
    this.subscriptions.push(this.compare);
    const inspect = (runId: string, step: number, row: number) => this.webviews.inspector.show(runId, step, row);
    this.inline = new InlineFeature(this.runs.store, extension.workspaceState, this.runs.tree, inspect, this.log);
    this.subscriptions.push(this.inline);
  }

  /** Whether this workspace may execute code (trainer, worker, reward functions). */
  get isTrusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Registers every command and listener. Called once, from `activate`. */
  start(): void {
    for (const [id, makeHandler] of Object.entries(COMMANDS)) {
      this.subscriptions.push(vscode.commands.registerCommand(id, makeHandler(this)));
    }
    const version = String(this.extension.extension.packageJSON.version);
    this.log.info(`RL Studio ${version} activated (workspace ${this.isTrusted ? "trusted" : "untrusted"})`);
  }

  dispose(): void {
    // Dispose in reverse order of creation: later features may depend on earlier ones.
    for (const disposable of this.subscriptions.splice(0).reverse()) {
      try {
        disposable.dispose();
      } catch (error) {
        console.error("RL Studio: error while disposing", error);
      }
    }
  }
}

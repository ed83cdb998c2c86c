import * as vscode from "vscode";
import { Ctx } from "./wiring/ctx";
import { createLog, type Log } from "./log";

// Entry point: only wires. Builds the context that owns everything, and makes activation
// errors visible (VS Code itself shows nothing when `activate` throws).

export function activate(extension: vscode.ExtensionContext): Ctx {
  const log = createLog(); // first, so that any failure below can be logged
  try {
    const ctx = new Ctx(extension, log);
    extension.subscriptions.push(ctx);
    ctx.start();
    return ctx;
  } catch (error) {
    extension.subscriptions.push(log);
    reportActivationError(log, error);
    throw error;
  }
}

export function deactivate(): void {
  // Everything is disposed through the context, which `activate` pushed to the extension's subscriptions.
}

function reportActivationError(log: Log, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  log.error(`activation failed: ${error instanceof Error && error.stack ? error.stack : message}`);
  void vscode.window.showErrorMessage(`RL Studio failed to activate: ${message}`, "Show Logs").then((choice) => {
    if (choice) log.show();
  });
}

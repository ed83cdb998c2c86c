import * as vscode from "vscode";

/** The extension's log: one `LogOutputChannel` named "RL Studio", shown by "RL Studio: Show Logs". */
export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel("RL Studio", { log: true });
}

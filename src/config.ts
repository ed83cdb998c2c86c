import * as vscode from "vscode";

// Typed access to the `rlstudio.*` settings. Each key is declared once here and once in
// package.json (contributes.configuration); add both together. Every key takes effect without a
// reload: readers call `readConfig()` when they need a value.

export const CONFIG_SECTION = "rlstudio";

export interface Config {
  /** Trainer interpreter; empty = Python extension, workspace .venv, python3 (restricted in untrusted workspaces). */
  readonly pythonPath: string;
  /** Extra folders holding run directories (e.g. a cluster's shared filesystem). */
  readonly runDirectories: readonly string[];
  /** Files matching this glob are run configs. */
  readonly runConfigGlob: string;
  /** Graceful-stop wait before SIGTERM (restricted in untrusted workspaces). */
  readonly stopTimeoutSeconds: number;
}

export function readConfig(scope?: vscode.ConfigurationScope): Config {
  const settings = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  return {
    pythonPath: settings.get<string>("pythonPath", "").trim(),
    runDirectories: settings.get<string[]>("runDirectories", []),
    runConfigGlob: settings.get<string>("runConfigGlob", "**/*.rlstudio.yaml"),
    stopTimeoutSeconds: settings.get<number>("stopTimeoutSeconds", 60),
  };
}

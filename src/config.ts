import * as vscode from "vscode";

// Typed access to the `rlstudio.*` settings. Each key is declared once here and once in
// package.json (contributes.configuration); add both together.

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

/** Keys whose new value only takes effect after a window reload. */
export const RESTART_KEYS: readonly (keyof Config)[] = [];

export function readConfig(scope?: vscode.ConfigurationScope): Config {
  const settings = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  return {
    pythonPath: settings.get<string>("pythonPath", "").trim(),
    runDirectories: settings.get<string[]>("runDirectories", []),
    runConfigGlob: settings.get<string>("runConfigGlob", "**/*.rlstudio.yaml"),
    stopTimeoutSeconds: settings.get<number>("stopTimeoutSeconds", 60),
  };
}

/** True when a configuration change touches one of the keys that need a reload. */
export function needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_KEYS.some((key) => event.affectsConfiguration(`${CONFIG_SECTION}.${key}`));
}

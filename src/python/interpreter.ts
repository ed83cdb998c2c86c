import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig } from '../config';

export interface Interpreter {
  python: string;
  /** Where it came from, for messages: "Python extension", "setting rlstudio.pythonPath", … */
  source: string;
}

/**
 * The Python that runs the trainer: the Python extension's active interpreter (optional; no
 * extensionDependencies), else the setting `rlstudio.pythonPath`, else the workspace `.venv`,
 * else `python3` on PATH.
 */
export async function resolveInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<Interpreter> {
  const fromExtension = await activeInterpreter(folder);
  if (fromExtension) return { python: fromExtension, source: 'the Python extension' };
  const setting = readConfig(folder).pythonPath;
  if (setting) return { python: expandPath(setting, folder), source: 'setting rlstudio.pythonPath' };
  const venv = folder && venvPython(path.join(folder.uri.fsPath, '.venv'));
  if (venv && fs.existsSync(venv)) return { python: venv, source: 'the workspace .venv' };
  return { python: 'python3', source: 'python3 on PATH' };
}

/** How to invoke the trainer's CLI (`rlstudio …`). */
export interface TrainerCli {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** The `rlstudio` CLI of an interpreter: the script next to it, else `python -m rlstudio`. */
export function trainerCli(python: string): TrainerCli {
  const script = path.join(path.dirname(python), process.platform === 'win32' ? 'rlstudio.exe' : 'rlstudio');
  if (path.isAbsolute(python) && fs.existsSync(script)) return { command: script, args: [] };
  return { command: python, args: ['-m', 'rlstudio'] };
}

export function venvPython(venv: string): string {
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

async function activeInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await PythonExtension.api();
    const envPath = api.environments.getActiveEnvironmentPath(folder?.uri);
    const env = await api.environments.resolveEnvironment(envPath);
    return env?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

function expandPath(p: string, folder: vscode.WorkspaceFolder | undefined): string {
  const expanded = folder ? p.replace('${workspaceFolder}', folder.uri.fsPath) : p;
  return path.isAbsolute(expanded) || !folder || !expanded.includes('/') ? expanded : path.join(folder.uri.fsPath, expanded);
}

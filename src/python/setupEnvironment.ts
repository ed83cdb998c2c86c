import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { resolveInterpreter, trainerCli, venvPython } from './interpreter';

/**
 * "RL Studio: Set Up Trainer Environment": creates or updates a virtual environment (workspace
 * `.venv` by default, or a chosen folder), installs the trainer shipped inside the extension, then
 * checks `rlstudio --version --json` against the extension's version.
 */
export async function setUpEnvironment(extensionPath: string, extensionVersion: string, log: Log): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const trainerDir = path.join(extensionPath, 'trainer');
  if (!fs.existsSync(path.join(trainerDir, 'pyproject.toml'))) {
    void vscode.window.showErrorMessage(`This build of RL Studio does not contain the trainer (${trainerDir}/pyproject.toml is missing).`);
    return;
  }
  const defaultVenv = folder ? path.join(folder.uri.fsPath, '.venv') : undefined;
  const choice = await vscode.window.showQuickPick(
    [
      ...(defaultVenv ? [{ label: 'Workspace .venv', description: defaultVenv, venv: defaultVenv }] : []),
      { label: 'Choose a folder…', description: 'an existing or new virtual environment', venv: '' },
    ],
    { title: 'Set Up Trainer Environment: where?' },
  );
  if (!choice) return;
  let venv = choice.venv;
  if (!venv) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Virtual environment folder', defaultUri: folder?.uri });
    if (!picked?.[0]) return;
    venv = picked[0].fsPath;
  }
  const python = venvPython(venv);
  const channel = vscode.window.createOutputChannel('RL Studio: Environment Setup');
  channel.show(true);

  const ok = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Setting up the trainer environment', cancellable: true },
    async (progress, token) => {
      if (!fs.existsSync(python)) {
        const base = await resolveInterpreter(folder);
        const basePython = base.python === python ? 'python3' : base.python;
        progress.report({ message: `creating ${venv} with ${basePython}…` });
        if ((await run(basePython, ['-m', 'venv', venv], channel, token)) !== 0) return false;
      }
      progress.report({ message: 'installing the trainer (torch, transformers, TRL)… this can take minutes' });
      const pip = ['-m', 'pip', 'install', '--upgrade', trainerDir];
      const code = await run(python, pip, channel, token, (line) => {
        const m = /^(Collecting|Downloading|Installing collected packages|Successfully installed)\s*(.*)$/.exec(line);
        if (m) progress.report({ message: `${m[1]} ${m[2]}`.slice(0, 120) });
      });
      return code === 0;
    },
  );
  if (!ok) {
    void vscode.window.showErrorMessage('Setting up the trainer environment failed or was cancelled; see the output.', 'Show Output').then((c) => c && channel.show());
    return;
  }
  await checkVersion(python, extensionVersion, channel, log);
  if (folder && path.dirname(venv) !== folder.uri.fsPath) {
    await vscode.workspace.getConfiguration('rlstudio', folder).update('pythonPath', python, vscode.ConfigurationTarget.Workspace);
  }
}

/** Compares `rlstudio --version --json` with the extension's version and explains a mismatch. */
export async function checkVersion(python: string, extensionVersion: string, channel: vscode.OutputChannel, log: Log): Promise<boolean> {
  const cli = trainerCli(python);
  let out = '';
  const code = await run(cli.command, [...cli.args, '--version', '--json'], channel, undefined, (line) => (out += line));
  let versions: { rlstudio?: string; trl?: string; format?: string } = {};
  try {
    versions = JSON.parse(out);
  } catch {
    // handled below
  }
  if (code !== 0 || !versions.rlstudio) {
    void vscode.window.showErrorMessage(`The trainer does not answer \`rlstudio --version\` (${python}). See the output.`);
    return false;
  }
  log.info(`trainer versions: ${out}`);
  if (versions.rlstudio !== extensionVersion) {
    void vscode.window.showWarningMessage(
      `The trainer is rlstudio ${versions.rlstudio} but the extension is ${extensionVersion}. Run files may not match what the extension expects; run "RL Studio: Set Up Trainer Environment" again to install the matching trainer.`,
    );
    return false;
  }
  void vscode.window.showInformationMessage(`Trainer ready: rlstudio ${versions.rlstudio} (TRL ${versions.trl}) in ${python}.`);
  return true;
}

function run(command: string, args: string[], channel: vscode.OutputChannel, token?: vscode.CancellationToken, onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    channel.appendLine(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    const cancel = token?.onCancellationRequested(() => child.kill('SIGTERM'));
    let partial = '';
    const feed = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        channel.appendLine(line);
        onLine?.(line);
      }
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', (c: Buffer) => channel.append(c.toString('utf8')));
    child.on('error', (e) => {
      channel.appendLine(e.message);
      resolve(-1);
    });
    child.on('close', (code) => {
      if (partial) {
        channel.appendLine(partial);
        onLine?.(partial);
      }
      cancel?.dispose();
      resolve(code ?? -1);
    });
  });
}

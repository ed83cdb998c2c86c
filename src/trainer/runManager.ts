import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { COMMAND_IDS } from '../commandIds';
import { plainText } from '../common/untrustedText';
import { readConfig } from '../config';
import { configGlob, isRunConfig } from '../configs/runConfigFiles';
import { resolveInterpreter, trainerCli } from '../python/interpreter';
import type { Run } from '../runs/model';
import { LIVE_STATUSES } from '../runs/model';
import { runPaths, runsRoot } from '../runs/runFormat';
import type { FsRunStore } from '../runs/runStore';
import { startingTitle } from '../views/format';
import type { RunNode } from '../views/runTree';
import type { TrainerCli } from '../python/interpreter';
import type { Launched } from './launcher';
import { newRunDir, requestControl, resumeRun, startRun, stopRun, validateConfig } from './launcher';
import { RunOutput } from './runOutput';

export const UNTRUSTED_MESSAGE =
  'RL Studio does not run the trainer in an untrusted workspace: it would execute Python code from this folder. Runs can still be browsed. Trust the workspace to start, resume or set up runs.';

/** The user-facing side of runs: start, stop, save, resume, delete, open. Owns per-run output channels. */
export class RunManager implements vscode.Disposable {
  private readonly outputs = new Map<string, RunOutput>();
  readonly diagnostics = vscode.languages.createDiagnosticCollection('rlstudio-validate');

  constructor(
    private readonly store: FsRunStore,
    private readonly log: Log,
  ) {}

  /** Refuses, with the explanation, when the workspace is untrusted. */
  requireTrust(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  async start(target?: vscode.Uri): Promise<Run | undefined> {
    if (!this.requireTrust()) return undefined;
    const config = target ?? (await pickConfig());
    if (!config) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(config) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showErrorMessage('Open a folder first: runs are written to <folder>/.rlstudio/runs.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === config.toString());
    if (open?.isDirty) await open.save(); // the trainer reads the file, not the editor
    const cli = await this.cli(folder);
    const problems = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Validating ${path.basename(config.fsPath)}…` },
      () => validateConfig(cli, config.fsPath),
    ).then(
      (r) => r,
      (err: Error) => {
        void vscode.window.showErrorMessage(`Could not validate the config: ${err.message}. Run "RL Studio: Set Up Trainer Environment".`);
        return undefined;
      },
    );
    if (!problems) return undefined;
    this.showProblems(config, problems.problems);
    if (!problems.ok) {
      void vscode.window.showErrorMessage(`${path.basename(config.fsPath)} has ${problems.problems.length} problem(s); see the Problems panel. The run was not started.`);
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      return undefined;
    }
    const runDir = newRunDir(runsRoot(folder.uri.fsPath), path.basename(config.fsPath));
    this.log.info(`starting ${cli.command} ${cli.args.join(' ')} train ${config.fsPath} --run-dir ${runDir}`);
    const launched = startRun(cli, config.fsPath, runDir);
    return this.follow(launched, 'Starting');
  }

  async resume(node: RunNode | undefined): Promise<void> {
    const run = node?.run;
    if (!run || !this.requireTrust()) return;
    if (LIVE_STATUSES.includes(run.derived.status)) {
      void vscode.window.showInformationMessage(`${plainText(run.name())} is still ${run.derived.status}.`);
      return;
    }
    if (!run.checkpoints().length) {
      void vscode.window.showErrorMessage(`${plainText(run.name())} has no checkpoint to resume from.`);
      return;
    }
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir)) ?? vscode.workspace.workspaceFolders?.[0];
    const cli = await this.cli(folder);
    this.log.info(`resuming ${run.dir}`);
    await this.follow(resumeRun(cli, run.dir), 'Resuming');
  }

  async stop(node: RunNode | undefined): Promise<void> {
    const run = node?.run;
    if (!run) return;
    if (!LIVE_STATUSES.includes(run.derived.status)) {
      void vscode.window.showInformationMessage(`${plainText(run.name())} is not running (${run.derived.status}).`);
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${plainText(run.name())}` }, async (progress) => {
      const stage = await stopRun(run.dir, {
        graceMs: readConfig().stopTimeoutSeconds * 1000,
        termMs: 10_000,
        onStage: (s) => {
          const text = { requested: 'asked to stop after the current step and save a checkpoint…', terminated: 'did not stop in time; sent SIGTERM…', killed: 'sent SIGKILL.', ended: 'ended.' }[s];
          progress.report({ message: text });
          this.log.info(`stop ${run.id}: ${s}`);
        },
      });
      await this.store.add(run.dir);
      if (stage === 'killed') void vscode.window.showWarningMessage(`${plainText(run.name())} was killed (SIGKILL); its last step may be lost.`);
      else if (stage === 'requested') void vscode.window.showWarningMessage(`${plainText(run.name())} runs on ${plainText(run.manifest?.host ?? '')}; the stop request is waiting for it.`);
    });
  }

  save(node: RunNode | undefined): void {
    const run = node?.run;
    if (!run) return;
    if (!LIVE_STATUSES.includes(run.derived.status)) {
      void vscode.window.showInformationMessage(`${plainText(run.name())} is not running; its checkpoints are already saved.`);
      return;
    }
    requestControl(run.dir, 'save');
    void vscode.window.showInformationMessage(`${plainText(run.name())} will save a checkpoint after the current step.`);
  }

  async delete(node: RunNode | undefined): Promise<void> {
    const run = node?.run;
    if (!run) return;
    if (LIVE_STATUSES.includes(run.derived.status)) {
      void vscode.window.showErrorMessage(`Stop ${plainText(run.name())} before deleting it.`);
      return;
    }
    const ok = await vscode.window.showWarningMessage(`Delete run "${plainText(run.name())}"? Its folder is moved to the trash.`, { modal: true, detail: run.dir }, 'Delete');
    if (ok !== 'Delete') return;
    try {
      await vscode.workspace.fs.delete(vscode.Uri.file(run.dir), { recursive: true, useTrash: true });
    } catch {
      // No trash on this system (e.g. a server): say so rather than deleting for good silently.
      const force = await vscode.window.showWarningMessage(`The trash is not available here. Delete ${plainText(run.name())} permanently?`, { modal: true }, 'Delete Permanently');
      if (force !== 'Delete Permanently') return;
      await vscode.workspace.fs.delete(vscode.Uri.file(run.dir), { recursive: true, useTrash: false });
    }
    this.outputs.get(run.id)?.dispose();
    this.outputs.delete(run.id);
    this.store.remove(run.id);
  }

  async openConfig(node: RunNode | undefined): Promise<void> {
    const run = node?.run;
    if (!run) return;
    const config = run.manifest?.configPath;
    const target = config && fs.existsSync(config) ? config : runPaths(run.dir).manifest;
    await vscode.window.showTextDocument(vscode.Uri.file(target));
  }

  async reveal(node: RunNode | undefined): Promise<void> {
    const run = node?.run;
    if (!run) return;
    const uri = vscode.Uri.file(run.dir);
    await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
  }

  /** Opens the run's dashboard if the dashboard exists, else its log. */
  async open(node: RunNode | undefined): Promise<void> {
    if (!node?.run) return;
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(COMMAND_IDS.openDashboard)) await vscode.commands.executeCommand(COMMAND_IDS.openDashboard, node);
    else this.showLog(node);
  }

  showLog(node: RunNode | undefined): void {
    const run = node?.run;
    if (run) this.output(run.dir, run.name()).channel.show(true);
  }

  dispose(): void {
    for (const o of this.outputs.values()) o.dispose();
    this.diagnostics.dispose();
  }

  // ---

  /** The trainer CLI of the folder's interpreter (the folder's setting, the Python extension's, the venv). */
  async cli(folder: vscode.WorkspaceFolder | undefined): Promise<TrainerCli> {
    const interpreter = await resolveInterpreter(folder);
    this.log.info(`trainer Python: ${interpreter.python} (from ${interpreter.source})`);
    return trainerCli(interpreter.python);
  }

  private output(runDir: string, name: string): RunOutput {
    const id = path.basename(runDir);
    let output = this.outputs.get(id);
    if (!output) {
      output = new RunOutput(runDir, name);
      this.outputs.set(id, output);
    }
    return output;
  }

  /** Registers a launched trainer and shows a cancellable progress notification until its first step. */
  private async follow(launched: Launched, verb: string): Promise<Run> {
    const run = await this.store.add(launched.runDir);
    const startStep = run.lastStep() ?? 0; // a resumed run already has steps
    let exited = false;
    let recheck = () => {};
    this.output(launched.runDir, run.name());
    void launched.exited.then(async (code) => {
      exited = true;
      recheck();
      await this.store.add(launched.runDir);
      this.log.info(`trainer ${launched.pid} for ${run.id} exited (${code})`);
      if (code !== 0 && run.derived.status !== 'stopped') {
        const choice = await vscode.window.showErrorMessage(`Run ${plainText(run.name())} ended with ${code}. ${plainText(run.derived.error?.message ?? '')}`, 'Show Log');
        if (choice) this.showLog({ kind: 'run', run });
      }
    });
    void vscode.window.withProgress(
      // The title is fixed when shown; the message names the run once run.json does (not the folder id).
      { location: vscode.ProgressLocation.Notification, title: 'RL Studio', cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let shown = '';
          const report = () => {
            const message = `${startingTitle(run, verb)}: loading the model…`;
            if (message !== shown) progress.report({ message: (shown = message) });
          };
          report();
          const done = () => {
            sub.dispose();
            resolve();
          };
          const check = () => {
            report();
            const ours = run.manifest?.pid === launched.pid;
            if (exited || (ours && ((run.lastStep() ?? 0) > startStep || !LIVE_STATUSES.includes(run.derived.status)))) done();
          };
          const sub = run.onDidChange(check);
          recheck = check;
          token.onCancellationRequested(() => {
            done();
            void this.stop({ kind: 'run', run });
          });
          check();
        }),
    );
    return run;
  }

  private showProblems(config: vscode.Uri, problems: { path: string; line: number | null; column: number | null; message: string }[]): void {
    this.diagnostics.set(
      config,
      problems.map((p) => {
        const line = Math.max(0, (p.line ?? 1) - 1);
        const col = Math.max(0, (p.column ?? 1) - 1);
        const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + 1000), p.path ? `${p.path}: ${p.message}` : p.message, vscode.DiagnosticSeverity.Error);
        d.source = 'rlstudio validate';
        return d;
      }),
    );
  }
}

/** The active editor's run config, else a quick pick of the workspace's run configs. */
async function pickConfig(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isRunConfig(active)) return active;
  const files = await vscode.workspace.findFiles(configGlob(), '**/{node_modules,.venv,.rlstudio}/**', 200);
  if (!files.length) {
    const create = await vscode.window.showInformationMessage('No run config (*.rlstudio.yaml) in this workspace.', 'Create Run Config');
    if (create) await vscode.commands.executeCommand(COMMAND_IDS.createRunConfig);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Start Run: pick a run config' },
  );
  return pick?.uri;
}

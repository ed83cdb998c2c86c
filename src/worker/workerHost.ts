// The worker as the extension sees it: one WorkerClient for the selected interpreter, started on
// first use, its stderr in the "RL Studio Worker" output channel, crashes shown to the user with a
// way to restart. Runs nothing in an untrusted workspace.

import * as vscode from 'vscode';
import type { Log } from '../log';
import { resolveInterpreter } from '../python/interpreter';
import { WorkerClient, type RequestOptions, type WorkerCrash } from './workerClient';
import type { WorkerMethod, WorkerMethods } from './protocol';

export class WorkerHost implements vscode.Disposable {
  private client: WorkerClient | undefined;
  private python: string | undefined;
  private readonly output: vscode.OutputChannel;

  constructor(private readonly log: Log) {
    this.output = vscode.window.createOutputChannel('RL Studio Worker');
  }

  async request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params'], options?: RequestOptions): Promise<WorkerMethods[M]['result']> {
    return (await this.ensure()).request(method, params, options);
  }

  async restart(): Promise<void> {
    const client = await this.ensure();
    const hello = await client.restart();
    this.log.info(`worker restarted: pid ${hello.pid}`);
  }

  showOutput(): void {
    this.output.show(true);
  }

  private async ensure(): Promise<WorkerClient> {
    if (!vscode.workspace.isTrusted) {
      throw new Error('This workspace is not trusted: RL Studio runs no reward code here. Trust the workspace to use the Reward Lab.');
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const interpreter = await resolveInterpreter(folder);
    if (this.client && this.python === interpreter.python) return this.client;
    this.client?.dispose();
    this.python = interpreter.python;
    this.log.info(`worker: starting ${interpreter.python} -m rlstudio.worker (from ${interpreter.source})`);
    this.client = new WorkerClient({
      python: interpreter.python,
      cwd: folder?.uri.fsPath,
      onStderr: (text) => this.output.append(text),
      onCrash: (crash) => this.crashed(crash),
    });
    const hello = await this.client.start();
    this.log.info(`worker ${hello.pid} ready: rlstudio ${hello.versions.rlstudio}, trl ${hello.versions.trl ?? 'absent'}, python ${hello.versions.python}`);
    return this.client;
  }

  private crashed(crash: WorkerCrash): void {
    const how = crash.signal ?? `exit code ${crash.code}`;
    const lastLine = crash.stderrTail.trim().split('\n').at(-1) ?? '';
    this.log.error(`worker crashed (${how}); ${crash.restarting ? 'restarting' : 'not restarting: it crashed too often'}\n${crash.stderrTail}`);
    const message = `RL Studio worker crashed (${how})${lastLine ? `: ${lastLine}` : ''}. ${crash.restarting ? 'It was restarted.' : 'It crashed repeatedly and stays stopped.'}`;
    void vscode.window.showErrorMessage(message, 'Show Output', 'Restart Worker').then((choice) => {
      if (choice === 'Show Output') this.showOutput();
      if (choice === 'Restart Worker') void this.restart();
    });
  }

  dispose(): void {
    this.client?.dispose();
    this.output.dispose();
  }
}

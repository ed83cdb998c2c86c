// The host side of the worker: spawns `python -m rlstudio.worker` with the selected interpreter,
// speaks JSON-RPC to it with vscode-jsonrpc, and restarts it when it crashes (CrashPolicy: not in
// a loop). No `vscode` import, so unit tests run it against the real Python worker.

import { spawn, type ChildProcess } from 'node:child_process';
import {
  CancellationTokenSource,
  ProgressType,
  createMessageConnection,
  type CancellationToken,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { CrashPolicy } from './crashPolicy';
import { WORKER_PROTOCOL, type InitializeResult, type ProgressValue, type WorkerMethod, type WorkerMethods } from './protocol';

export interface WorkerClientOptions {
  python: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Everything the worker writes to stderr: user prints, library output, tracebacks. */
  onStderr?: (text: string) => void;
  /** Called when the worker exits unexpectedly; `restarting` says whether it is started again. */
  onCrash?: (crash: WorkerCrash) => void;
  policy?: CrashPolicy;
}

export interface WorkerCrash {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of the worker's stderr: usually the reason. */
  stderrTail: string;
  restarting: boolean;
}

export interface RequestOptions {
  token?: CancellationToken;
  onProgress?: (value: ProgressValue) => void;
  /** Host-side watchdog: past this the request is cancelled, and the worker killed if it does not answer. */
  timeoutMs?: number;
}

/** A request failed because the worker process ended or was killed. */
export class WorkerExitedError extends Error {}

const KILL_GRACE_MS = 2_000;
const STDERR_TAIL = 4_000;

interface Running {
  process: ChildProcess;
  connection: MessageConnection;
  ready: Promise<InitializeResult>;
  stderrTail: string;
  stopping: boolean;
  /** How it ended ("code 1", "SIGKILL"), once it has. */
  exited?: string;
}

export class WorkerClient {
  private running: Running | undefined;
  private progressTokens = 0;
  readonly policy: CrashPolicy;
  /** The last crash that was not followed by a restart: the worker stays down until `restart()`. */
  gaveUp: WorkerCrash | undefined;

  constructor(private readonly options: WorkerClientOptions) {
    this.policy = options.policy ?? new CrashPolicy();
  }

  /** Starts the worker if needed and returns its handshake. */
  start(): Promise<InitializeResult> {
    if (this.gaveUp) {
      return Promise.reject(new WorkerExitedError(`the worker crashed ${this.policy.maxCrashes} times; restart it to try again: ${describe(this.gaveUp)}`));
    }
    return (this.running ??= this.spawn()).ready;
  }

  /** A user-requested restart: forgets the crash history. */
  async restart(): Promise<InitializeResult> {
    this.stop();
    this.gaveUp = undefined;
    this.policy.reset();
    return this.start();
  }

  get pid(): number | undefined {
    return this.running?.process.pid;
  }

  async request<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params'], options: RequestOptions = {}): Promise<WorkerMethods[M]['result']> {
    await this.start();
    const running = this.running;
    if (!running) throw new WorkerExitedError('the worker is not running');
    const source = new CancellationTokenSource();
    const disposables = [options.token?.onCancellationRequested(() => source.cancel())];
    let payload: object = params;
    if (options.onProgress) {
      const progressToken = `p${++this.progressTokens}`;
      payload = { ...params, progressToken };
      disposables.push(running.connection.onProgress(new ProgressType<ProgressValue>(), progressToken, options.onProgress));
    }
    let watchdog: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      watchdog = setTimeout(() => {
        source.cancel();
        watchdog = setTimeout(() => this.kill(running, `request ${method} did not answer ${KILL_GRACE_MS} ms after its timeout`), KILL_GRACE_MS);
      }, options.timeoutMs);
    }
    try {
      return (await running.connection.sendRequest(method, payload, source.token)) as WorkerMethods[M]['result'];
    } catch (error) {
      if (running.exited) throw new WorkerExitedError(`${method}: the worker exited (${running.exited})${tail(running.stderrTail)}`);
      throw error;
    } finally {
      clearTimeout(watchdog);
      for (const d of disposables) d?.dispose();
      source.dispose();
    }
  }

  /** Asks the worker to exit; kills it if it has not after a grace period. */
  stop(): void {
    const running = this.running;
    if (!running) return;
    running.stopping = true;
    this.running = undefined;
    void running.connection
      .sendRequest('shutdown', {})
      .then(() => running.connection.sendNotification('exit', {}))
      .catch(() => undefined);
    const timer = setTimeout(() => running.process.kill('SIGKILL'), KILL_GRACE_MS);
    running.process.once('exit', () => clearTimeout(timer));
  }

  dispose(): void {
    this.stop();
  }

  // --- internals ---------------------------------------------------------------------------------

  private spawn(): Running {
    const child = spawn(this.options.python, ['-m', 'rlstudio.worker'], {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env, PYTHONUNBUFFERED: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const running: Running = { process: child, connection, ready: Promise.resolve(undefined as never), stderrTail: '', stopping: false };
    child.stdin!.on('error', () => undefined); // a dead worker: reported through 'exit'
    connection.onError(() => undefined);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      running.stderrTail = (running.stderrTail + text).slice(-STDERR_TAIL);
      this.options.onStderr?.(text);
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new WorkerExitedError(`could not start ${this.options.python}: ${error.message}`)));
      child.once('exit', (code, signal) => {
        const missing = running.stderrTail.includes("No module named 'rlstudio'") ? `: rlstudio is not installed in ${this.options.python}` : '';
        reject(new WorkerExitedError(`the worker exited (${signal ?? `code ${code}`})${missing}${tail(running.stderrTail)}`));
      });
    });
    exited.catch(() => undefined);
    child.once('exit', (code, signal) => this.onExit(running, code, signal));
    child.once('error', () => this.onExit(running, null, null));
    connection.listen();
    running.ready = Promise.race([connection.sendRequest('initialize', {}) as Promise<InitializeResult>, exited]).then((result) => {
      if (result.protocol !== WORKER_PROTOCOL) {
        throw new Error(`the worker speaks ${result.protocol}, this extension needs ${WORKER_PROTOCOL}: update the rlstudio package`);
      }
      return result;
    });
    running.ready.catch(() => undefined);
    return running;
  }

  private kill(running: Running, reason: string): void {
    running.stderrTail += `\n[RL Studio] killed the worker: ${reason}\n`;
    running.process.kill('SIGKILL');
  }

  private onExit(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    running.exited = signal ?? `code ${code}`;
    running.connection.dispose();
    if (this.running === running) this.running = undefined;
    if (running.stopping) return;
    const restarting = this.policy.recordCrash();
    const crash: WorkerCrash = { code, signal, stderrTail: running.stderrTail, restarting };
    if (restarting) {
      this.running = this.spawn();
    } else {
      this.gaveUp = crash;
    }
    this.options.onCrash?.(crash);
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n').slice(-5).join('\n');
  return lines ? `:\n${lines}` : '';
}

function describe(crash: WorkerCrash): string {
  return `exit ${crash.signal ?? `code ${crash.code}`}${tail(crash.stderrTail)}`;
}

// The host side of the scoring process: forks dist/scoring.js on the first request, speaks
// JSON-RPC to it over the Node IPC channel, ends it after `idleMs` without requests, and when it
// dies mid-request (a native crash in onnxruntime, an OOM kill) fails the pending requests with
// ScoringCrashedError and starts a fresh process on the next request. No `vscode` import.

import { fork, type ChildProcess } from 'node:child_process';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { SCORING_PROTOCOL, type InitializeResult, type ScoringMethod, type ScoringMethods } from './protocol';

export interface ScoringClientOptions {
  /** The bundled process entry (dist/scoring.js), or a .ts file with execArgv ['--import', 'tsx'] in tests. */
  script: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** End the process after this long without a request (default 5 minutes). */
  idleMs?: number;
  onStderr?: (text: string) => void;
  /** The process ended on its own; `during` names the request that was running, if any. */
  onCrash?: (crash: ScoringCrash) => void;
}

export interface ScoringCrash {
  how: string;
  during: string | undefined;
  stderrTail: string;
}

/** The scoring process ended while a request was running. */
export class ScoringCrashedError extends Error {}
/** A problem the user can fix (a missing export, an unreadable tokenizer): its message is for them. */
export class ScoringInputError extends Error {}

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  ready: Promise<InitializeResult>;
  stopping: boolean;
  stderrTail: string;
  exited?: string;
  pending: Set<string>;
  /** Resolves when the process has exited. */
  exit: Promise<void>;
}

export class ScoringClient {
  private running: Running | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ScoringClientOptions) {}

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  async request<M extends ScoringMethod>(method: M, params: ScoringMethods[M]['params']): Promise<ScoringMethods[M]['result']> {
    clearTimeout(this.idleTimer);
    const running = (this.running ??= this.spawn());
    running.pending.add(method);
    try {
      await running.ready;
      return (await running.connection.sendRequest(method, params)) as ScoringMethods[M]['result'];
    } catch (error) {
      if (!(error instanceof ResponseError)) await Promise.race([running.exit, delay(1_000)]); // a lost connection: wait for the exit that explains it
      if (running.exited) {
        throw new ScoringCrashedError(`the scoring process ended (${running.exited}) during ${method}; it starts again on the next request${tail(running.stderrTail)}`);
      }
      if (error instanceof ResponseError && error.code === 1) throw new ScoringInputError(error.message);
      throw error;
    } finally {
      running.pending.delete(method);
      if (running.pending.size === 0 && this.running === running) {
        this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs ?? 300_000);
      }
    }
  }

  /** Ends the process (it is started again by the next request). */
  stop(): void {
    clearTimeout(this.idleTimer);
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.stopping = true;
    void running.connection.sendRequest('shutdown', {}).catch(() => undefined);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 2_000);
    running.child.once('exit', () => clearTimeout(timer));
  }

  dispose(): void {
    this.stop();
  }

  private spawn(): Running {
    const child = fork(this.options.script, [], {
      execArgv: this.options.execArgv ?? [],
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onError(() => undefined);
    const running: Running = {
      child, connection, ready: Promise.resolve(undefined as never), stopping: false, stderrTail: '', pending: new Set(),
      exit: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    };
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      running.stderrTail = (running.stderrTail + text).slice(-4_000);
      this.options.onStderr?.(text);
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new ScoringCrashedError(`could not start the scoring process: ${error.message}`)));
      child.once('exit', (code, signal) => reject(new ScoringCrashedError(`the scoring process exited at start-up (${signal ?? `code ${code}`})${tail(running.stderrTail)}`)));
    });
    exited.catch(() => undefined);
    child.once('exit', (code, signal) => this.onExit(running, signal ?? `code ${code}`));
    connection.listen();
    running.ready = Promise.race([connection.sendRequest('initialize', {}) as Promise<InitializeResult>, exited]).then((hello) => {
      if (hello.protocol !== SCORING_PROTOCOL) throw new Error(`the scoring process speaks ${hello.protocol}, expected ${SCORING_PROTOCOL}`);
      return hello;
    });
    running.ready.catch(() => undefined);
    return running;
  }

  private onExit(running: Running, how: string): void {
    running.exited = how;
    running.connection.dispose();
    if (this.running === running) this.running = undefined;
    if (running.stopping) return;
    const during = [...running.pending][0];
    this.options.onCrash?.({ how, during, stderrTail: running.stderrTail });
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n').slice(-5).join('\n');
  return lines ? `:\n${lines}` : '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// The app end of a webview's protocol: requests with replies and timeouts, commands, notifications,
// the ready handshake, and the persisted view state (getState/setState survive a window reload).

import type {
  CommandMethod,
  NotificationMethod,
  Protocol,
  RequestMethod,
  WireMessage,
} from '../../src/webviews/shared/protocol';
import { reviveTyped } from './typedJson';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const REQUEST_TIMEOUT_MS = 30_000;

export class RequestTimeoutError extends Error {
  constructor(method: string, ms: number) {
    super(`Request '${method}' got no reply within ${ms} ms.`);
    this.name = 'RequestTimeoutError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class HostConnection<P extends Protocol, S = unknown> {
  private readonly api: VsCodeApi = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Array<(params: unknown) => void>>();

  constructor() {
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  /** Tell the host the app is listening; call after registering notification handlers. */
  ready(): void {
    this.api.postMessage({ kind: 'ready' } satisfies WireMessage);
  }

  command<M extends CommandMethod<P>>(method: M, params: P['commands'][M]): void {
    this.api.postMessage({ kind: 'command', method, params } satisfies WireMessage);
  }

  request<M extends RequestMethod<P>>(
    method: M,
    params: P['requests'][M]['params'],
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<P['requests'][M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.api.postMessage({ kind: 'request', id, method, params } satisfies WireMessage);
    });
  }

  onNotification<M extends NotificationMethod<P>>(method: M, handler: (params: P['notifications'][M]) => void): void {
    const list = this.handlers.get(method) ?? [];
    list.push(handler as (params: unknown) => void);
    this.handlers.set(method, list);
  }

  /** The state saved by setState before the last reload, if any. */
  getState(): S | undefined {
    return (this.api.getState() as S | null | undefined) ?? undefined;
  }

  setState(state: S): void {
    this.api.setState(state);
  }

  private receive(data: unknown): void {
    const message = data as WireMessage;
    if (typeof message !== 'object' || message === null) {
      return;
    }
    if (message.kind === 'response') {
      const pending = this.pending.get(message.id);
      if (!pending) {
        return;
      }
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error !== undefined) {
        pending.reject(new Error(message.error));
      } else {
        pending.resolve(message.result);
      }
    } else if (message.kind === 'notification') {
      for (const handler of this.handlers.get(message.method) ?? []) {
        handler(message.params);
      }
    }
  }
}

/** The first state the host inlined into the page (see src/webviews/shared/html.ts). */
export function readInitialState<T>(): T | undefined {
  const element = document.getElementById('initial-state');
  if (!element?.textContent) {
    return undefined;
  }
  return JSON.parse(element.textContent, reviveTyped) as T;
}

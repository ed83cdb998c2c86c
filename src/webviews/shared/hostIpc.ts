// The host end of a webview's protocol, independent of `vscode` so it is testable in plain Node.
// It holds messages until the app says it is ready and while the panel is hidden, answers requests
// with the registered handlers, and routes commands.

import type { CommandMethod, NotificationMethod, Protocol, RequestMethod, WireMessage } from './protocol';

/** The part of a webview panel this class needs. */
export interface WebviewTransport {
  postMessage(message: WireMessage): Thenable<boolean> | Promise<boolean>;
  readonly visible: boolean;
}

type Thenable<T> = PromiseLike<T>;

type RequestHandler<P extends Protocol, M extends RequestMethod<P>> = (
  params: P['requests'][M]['params'],
) => Promise<P['requests'][M]['result']> | P['requests'][M]['result'];
type CommandHandler<P extends Protocol, M extends CommandMethod<P>> = (params: P['commands'][M]) => void | Promise<void>;

export interface HostIpcOptions {
  /** Notifications that carry a full snapshot: a newer one replaces an older one still queued. */
  snapshots?: readonly string[];
  onError?: (method: string, error: unknown) => void;
}

export class HostIpc<P extends Protocol> {
  private ready = false;
  private readonly queue: WireMessage[] = [];
  private readonly requestHandlers = new Map<string, (params: unknown) => unknown>();
  private readonly commandHandlers = new Map<string, (params: unknown) => unknown>();
  private readonly readyListeners: Array<() => void> = [];

  constructor(
    private readonly transport: WebviewTransport,
    private readonly options: HostIpcOptions = {},
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  onRequest<M extends RequestMethod<P>>(method: M, handler: RequestHandler<P, M>): void {
    this.requestHandlers.set(method, handler as (params: unknown) => unknown);
  }

  onCommand<M extends CommandMethod<P>>(method: M, handler: CommandHandler<P, M>): void {
    this.commandHandlers.set(method, handler as (params: unknown) => unknown);
  }

  /** Called each time the app (re)loads and says it is ready. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  notify<M extends NotificationMethod<P>>(method: M, params: P['notifications'][M]): void {
    const message: WireMessage = { kind: 'notification', method, params };
    if (this.ready && this.transport.visible) {
      void this.transport.postMessage(message);
      return;
    }
    if (this.options.snapshots?.includes(method)) {
      const older = this.queue.findIndex((m) => m.kind === 'notification' && m.method === method);
      if (older >= 0) {
        this.queue.splice(older, 1);
      }
    }
    this.queue.push(message);
  }

  /** Number of messages held back (for tests and diagnostics). */
  get queued(): number {
    return this.queue.length;
  }

  /** Call when the panel's visibility changes. */
  visibilityChanged(): void {
    this.flush();
  }

  /** Call with every message the webview posts. */
  async receive(message: unknown): Promise<void> {
    if (!isWireMessage(message)) {
      return;
    }
    switch (message.kind) {
      case 'ready':
        // A reloaded app starts empty: anything queued for the old one is still wanted.
        this.ready = true;
        for (const listener of this.readyListeners) {
          listener();
        }
        this.flush();
        return;
      case 'command': {
        const handler = this.commandHandlers.get(message.method);
        try {
          await handler?.(message.params);
        } catch (error) {
          this.options.onError?.(message.method, error);
        }
        return;
      }
      case 'request': {
        const handler = this.requestHandlers.get(message.method);
        let reply: WireMessage;
        if (!handler) {
          reply = { kind: 'response', id: message.id, error: `No handler for request '${message.method}'.` };
        } else {
          try {
            reply = { kind: 'response', id: message.id, result: await handler(message.params) };
          } catch (error) {
            this.options.onError?.(message.method, error);
            reply = { kind: 'response', id: message.id, error: error instanceof Error ? error.message : String(error) };
          }
        }
        // Replies are never queued: the app is waiting for them.
        void this.transport.postMessage(reply);
        return;
      }
      default:
        return;
    }
  }

  /** The app went away (panel reloading its content); hold messages until it is ready again. */
  reset(): void {
    this.ready = false;
  }

  private flush(): void {
    if (!this.ready || !this.transport.visible) {
      return;
    }
    for (const message of this.queue.splice(0)) {
      void this.transport.postMessage(message);
    }
  }
}

function isWireMessage(value: unknown): value is WireMessage {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'ready' || kind === 'command' || kind === 'request' || kind === 'response' || kind === 'notification';
}

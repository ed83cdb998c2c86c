// The message protocol shared by a webview's host panel and its app. Type-only: the app imports this
// file with `import type`, so nothing here may need a runtime value.
//
// A webview declares its protocol as one interface with three maps, keyed by method name:
//   commands       webview → host, fire and forget       e.g. 'inspector/token/copy'
//   requests       webview → host, answered (or timed out) e.g. 'rollouts/step/get'
//   notifications  host → webview                          e.g. 'dashboard/metrics/didAppend'
// Notifications whose name ends in a state snapshot replace each other while queued (see hostIpc.ts).

export interface Protocol {
  commands: Record<string, unknown>;
  requests: Record<string, { params: unknown; result: unknown }>;
  notifications: Record<string, unknown>;
}

export type CommandMethod<P extends Protocol> = keyof P['commands'] & string;
export type RequestMethod<P extends Protocol> = keyof P['requests'] & string;
export type NotificationMethod<P extends Protocol> = keyof P['notifications'] & string;

/** What travels through postMessage, in either direction. */
export type WireMessage =
  | { kind: 'ready' }
  | { kind: 'command'; method: string; params: unknown }
  | { kind: 'request'; id: number; method: string; params: unknown }
  | { kind: 'response'; id: number; result?: unknown; error?: string }
  | { kind: 'notification'; method: string; params: unknown };

// The page every webview starts from: a strict CSP with a fresh nonce, the app's bundle and
// stylesheet, and the first state inlined as JSON (so the first paint needs no round trip).

import { randomBytes } from 'node:crypto';

export interface PageOptions {
  title: string;
  /** webview.cspSource: the only origin resources may come from. */
  cspSource: string;
  scriptUri: string;
  styleUri?: string;
  /** Serialised into the page; read by the app with readInitialState(). */
  initialState: unknown;
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    // The dashboard's chart worker, started from its bundled source (webview/dashboard/lineWorkerStart.ts).
    'worker-src blob:',
  ].join('; ');
}

/**
 * JSON that is safe inside a <script> element: no '<', no line separators that end the element or
 * string. A Float64Array becomes `{"$f64": "<base64 of its bytes>"}` (readInitialState in
 * webview/shared/ipc.ts revives it): 100k numbers as 1.1 MB of base64 instead of ~2 MB of JSON
 * digits that take ten times longer to parse.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v instanceof Float64Array ? { $f64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v,
  )
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPage(options: PageOptions): string {
  const nonce = options.nonce ?? makeNonce();
  const style = options.styleUri
    ? `<link rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(options.styleUri)}">`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(options.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttribute(options.title)}</title>
${style}
</head>
<body>
<div id="app"></div>
<script type="application/json" id="initial-state">${jsonForScript(options.initialState)}</script>
<script defer nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>`;
}

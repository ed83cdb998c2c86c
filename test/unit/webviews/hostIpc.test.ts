// The host end of the webview protocol: ready handshake, queue while hidden, snapshot coalescing,
// request replies and errors. The transport records what a real panel would post.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostIpc } from '../../../src/webviews/shared/hostIpc';
import { contentSecurityPolicy, jsonForScript, renderPage } from '../../../src/webviews/shared/html';
import type { WireMessage } from '../../../src/webviews/shared/protocol';
import { reviveTyped } from '../../../webview/shared/typedJson';

interface TestProtocol {
  commands: { 'test/poke': { n: number } };
  requests: {
    'test/double': { params: { n: number }; result: number };
    'test/fail': { params: Record<string, never>; result: number };
  };
  notifications: { 'test/snapshot': { v: number }; 'test/delta': { v: number } };
}

function setup() {
  const posted: WireMessage[] = [];
  const transport = { visible: true, postMessage: async (m: WireMessage) => (posted.push(m), true) };
  const ipc = new HostIpc<TestProtocol>(transport, { snapshots: ['test/snapshot'] });
  return { posted, transport, ipc };
}

describe('host ipc', () => {
  it('queues notifications until the app is ready', async () => {
    const { posted, ipc } = setup();
    ipc.notify('test/delta', { v: 1 });
    assert.equal(posted.length, 0);
    await ipc.receive({ kind: 'ready' });
    assert.deepEqual(posted, [{ kind: 'notification', method: 'test/delta', params: { v: 1 } }]);
    ipc.notify('test/delta', { v: 2 });
    assert.equal(posted.length, 2);
  });

  it('queues while hidden, keeping only the newest snapshot and every delta', async () => {
    const { posted, transport, ipc } = setup();
    await ipc.receive({ kind: 'ready' });
    transport.visible = false;
    ipc.notify('test/snapshot', { v: 1 });
    ipc.notify('test/delta', { v: 1 });
    ipc.notify('test/snapshot', { v: 2 });
    ipc.notify('test/delta', { v: 2 });
    assert.equal(ipc.queued, 3);
    transport.visible = true;
    ipc.visibilityChanged();
    assert.deepEqual(
      posted.map((m) => (m.kind === 'notification' ? [m.method, (m.params as { v: number }).v] : m.kind)),
      [
        ['test/delta', 1],
        ['test/snapshot', 2],
        ['test/delta', 2],
      ],
    );
  });

  it('holds messages after a reset until the reloaded app is ready again', async () => {
    const { posted, ipc } = setup();
    await ipc.receive({ kind: 'ready' });
    ipc.reset();
    ipc.notify('test/delta', { v: 3 });
    assert.equal(posted.length, 0);
    await ipc.receive({ kind: 'ready' });
    assert.equal(posted.length, 1);
  });

  it('answers requests, reports handler errors and unknown methods', async () => {
    const { posted, ipc } = setup();
    ipc.onRequest('test/double', ({ n }) => n * 2);
    ipc.onRequest('test/fail', () => {
      throw new Error('shard is corrupt');
    });
    await ipc.receive({ kind: 'request', id: 7, method: 'test/double', params: { n: 21 } });
    await ipc.receive({ kind: 'request', id: 8, method: 'test/fail', params: {} });
    await ipc.receive({ kind: 'request', id: 9, method: 'test/nope', params: {} });
    assert.deepEqual(posted, [
      { kind: 'response', id: 7, result: 42 },
      { kind: 'response', id: 8, error: 'shard is corrupt' },
      { kind: 'response', id: 9, error: "No handler for request 'test/nope'." },
    ]);
  });

  it('routes commands and ignores foreign messages', async () => {
    const { ipc } = setup();
    const seen: number[] = [];
    ipc.onCommand('test/poke', ({ n }) => void seen.push(n));
    await ipc.receive({ kind: 'command', method: 'test/poke', params: { n: 5 } });
    await ipc.receive('garbage');
    await ipc.receive({ type: 'other' });
    assert.deepEqual(seen, [5]);
  });
});

describe('webview page', () => {
  it('has a strict CSP with the nonce, and only local resources', () => {
    const csp = contentSecurityPolicy('vscode-resource:', 'abc');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abc'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const page = renderPage({ title: 'T', cspSource: 'vscode-resource:', scriptUri: 'vscode-resource:/a.js', initialState: {}, nonce: 'abc' });
    assert.match(page, /<script defer nonce="abc" src="vscode-resource:\/a.js"><\/script>/);
  });

  it('uses a fresh random nonce per page', () => {
    const nonce = (page: string) => /nonce-([^'"]+)/.exec(page)![1];
    const options = { title: 'T', cspSource: 'x', scriptUri: 'x', initialState: null };
    const a = nonce(renderPage(options));
    const b = nonce(renderPage(options));
    assert.notEqual(a, b);
    assert.ok(a.length >= 20);
  });

  it('inlines state that cannot close its script element', () => {
    const hostile = { text: '</script><script>alert(1)</script>\u2028' };
    const json = jsonForScript(hostile);
    assert.doesNotMatch(json, /<\/script/i);
    assert.deepEqual(JSON.parse(json), hostile);
  });

  it('inlines Float64Arrays as base64 that the app revives exactly, views included', () => {
    const column = new Float64Array([1, Number.NaN, -0.5, 1e300, Number.MIN_VALUE, 0.1 + 0.2]);
    const view = new Float64Array(new ArrayBuffer(64), 16, 3).fill(7);
    const json = jsonForScript({ metrics: { reward: column }, view, plain: [1, 2] });
    assert.match(json, /"reward":\{"\$f64":"[A-Za-z0-9+/=]+"\}/);
    const back = JSON.parse(json, reviveTyped) as { metrics: { reward: Float64Array }; view: Float64Array; plain: number[] };
    assert.ok(back.metrics.reward instanceof Float64Array);
    assert.deepEqual([...back.metrics.reward], [...column]);
    assert.deepEqual([...back.view], [7, 7, 7]);
    assert.deepEqual(back.plain, [1, 2]);
  });
});

// The scoring process on the fixture export (test/fixtures/runs/completed-tiny/onnx/checkpoint-3,
// written by the real exporter: trainer/scripts/make_onnx_fixture.py) against the numbers the
// Python side recorded beside it (test/fixtures/onnx/reference.json): the Python tokenizer's ids
// and torch's logprobs and entropies. The process is the real one (forked, onnxruntime-node).

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ScoringClient, ScoringCrashedError, ScoringInputError } from '../../../src/onnx/scoringClient';

const ROOT = join(__dirname, '..', '..', '..');
const EXPORT = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny', 'onnx', 'checkpoint-3');
const REFERENCE = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'onnx', 'reference.json'), 'utf8')) as {
  texts: { text: string; ids: number[]; 't1.0': Numbers; 't0.7': Numbers }[];
};
interface Numbers {
  logprobs: number[];
  entropies: number[];
}
const SCRIPT = join(ROOT, 'src', 'onnx', 'scoringProcess.ts');
const crashes: string[] = [];
const client = new ScoringClient({ script: SCRIPT, execArgv: ['--import', 'tsx'], onCrash: (c) => crashes.push(`${c.how} during ${c.during}`) });
after(() => client.dispose());

function maxDiff(a: (number | null)[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs((x ?? Number.NaN) - b[i])));
}

test('tokenizer: @huggingface/tokenizers gives the Python tokenizer ids (spaces, newlines, tabs, CJK, emoji, special tokens)', async () => {
  for (const row of REFERENCE.texts) {
    const got = await client.request('tokenize', { exportDir: EXPORT, text: row.text });
    assert.deepEqual(got.ids, row.ids, JSON.stringify(row.text));
    // Ranges tile the text: each character-group once, in order.
    let rebuilt = '';
    let last = -1;
    got.starts.forEach((start, i) => {
      if (start !== last) rebuilt += row.text.slice(start, got.ends[i]);
      last = start;
    });
    assert.equal(rebuilt, row.text, JSON.stringify(row.text));
  }
});

test('ORT (Node) logprobs and entropies equal torch to 1e-3, batched with padding, at temperature 1 and 0.7', async () => {
  for (const temperature of [1.0, 0.7] as const) {
    const result = await client.request('score', { exportDir: EXPORT, inputs: REFERENCE.texts.map((r) => ({ text: r.text })), temperature });
    assert.equal(result.temperature, temperature);
    result.results.forEach((scored, i) => {
      const ref = REFERENCE.texts[i][temperature === 1 ? 't1.0' : 't0.7'];
      assert.equal(scored.tokens[0].logprob, null, 'the first token has no context');
      assert.ok(maxDiff(scored.tokens.slice(1).map((t) => t.logprob), ref.logprobs) <= 1e-3, `logprobs of text ${i}`);
      assert.ok(maxDiff(scored.tokens.slice(1).map((t) => t.entropy), ref.entropies) <= 1e-3, `entropies of text ${i}`);
      const top = scored.tokens[1].top;
      assert.equal(top.length, 5);
      assert.ok(top[0].logprob >= top[4].logprob && top[0].logprob >= scored.tokens[1].logprob! - 1e-6);
    });
  }
});

test('appended ids (a recorded completion) are scored after the text', async () => {
  const row = REFERENCE.texts[6];
  const cut = 10;
  const text = await client.request('tokenize', { exportDir: EXPORT, text: row.text });
  const prefix = row.text.slice(0, text.ends[cut - 1]);
  const result = await client.request('score', { exportDir: EXPORT, inputs: [{ text: prefix, appendIds: row.ids.slice(cut) }] });
  const tokens = result.results[0].tokens;
  assert.deepEqual(tokens.map((t) => t.id), row.ids);
  assert.ok(maxDiff(tokens.slice(1).map((t) => t.logprob), row['t1.0'].logprobs) <= 1e-3);
  assert.equal(tokens.at(-1)!.start, prefix.length);
});

test('long texts are windowed with a notice; the first window equals unwindowed scoring', async () => {
  const row = REFERENCE.texts[0];
  const whole = await client.request('score', { exportDir: EXPORT, inputs: [{ text: row.text }] });
  const windowed = await client.request('score', { exportDir: EXPORT, inputs: [{ text: row.text }], window: { size: 8, overlap: 4 } });
  const w = windowed.results[0];
  assert.ok(w.windows > 1);
  assert.match(windowed.notices.join('\n'), /windows/);
  assert.ok(w.tokens.slice(1).every((t) => t.logprob !== null), 'every token after the first is scored once');
  assert.ok(maxDiff(w.tokens.slice(1, 8).map((t) => t.logprob), whole.results[0].tokens.slice(1, 8).map((t) => t.logprob!)) <= 1e-5);
  assert.equal(whole.notices.length, 0);
});

test('a half-written, truncated or unreadable export is named, with "export again"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-onnx-'));
  try {
    const half = join(dir, 'half');
    cpSync(EXPORT, half, { recursive: true });
    rmSync(join(half, 'export.json'));
    await assert.rejects(client.request('score', { exportDir: half, inputs: [{ text: 'a b' }] }), (e: Error) =>
      e instanceof ScoringInputError && e.message.includes(join(half, 'export.json')) && /export again/.test(e.message));

    const truncated = join(dir, 'truncated');
    cpSync(EXPORT, truncated, { recursive: true });
    writeFileSync(join(truncated, 'model.onnx.data'), 'x');
    await assert.rejects(client.request('score', { exportDir: truncated, inputs: [{ text: 'a b' }] }), (e: Error) =>
      e instanceof ScoringInputError && e.message.includes('model.onnx.data') && /truncated/.test(e.message));

    const badTokenizer = join(dir, 'bad-tokenizer');
    cpSync(EXPORT, badTokenizer, { recursive: true });
    const garbage = '{"model": {"type": "NoSuchModel"}}';
    writeFileSync(join(badTokenizer, 'tokenizer.json'), garbage);
    const manifest = JSON.parse(readFileSync(join(badTokenizer, 'export.json'), 'utf8'));
    manifest.files['tokenizer.json'] = Buffer.byteLength(garbage);
    writeFileSync(join(badTokenizer, 'export.json'), JSON.stringify(manifest));
    await assert.rejects(client.request('score', { exportDir: badTokenizer, inputs: [{ text: 'a b' }] }), (e: Error) =>
      e instanceof ScoringInputError && e.message.includes(join(badTokenizer, 'tokenizer.json')));

    await assert.rejects(client.request('score', { exportDir: join(dir, 'nothing'), inputs: [{ text: 'a' }] }), /no such export folder.*export again/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('crash isolation: the scoring process killed mid-request → the request fails, the next one works', async () => {
  await client.request('score', { exportDir: EXPORT, inputs: [{ text: 'warm up' }] });
  const pid = client.pid!;
  const long = REFERENCE.texts.map((r) => r.text).join(' ').repeat(40);
  const pending = client.request('score', { exportDir: EXPORT, inputs: Array.from({ length: 8 }, () => ({ text: long })) });
  setTimeout(() => process.kill(pid, 'SIGKILL'), 50);
  await assert.rejects(pending, (e: Error) => e instanceof ScoringCrashedError && /SIGKILL/.test(e.message) && /during score/.test(e.message));
  assert.deepEqual(crashes, ['SIGKILL during score']);
  const again = await client.request('score', { exportDir: EXPORT, inputs: [{ text: REFERENCE.texts[0].text }] });
  assert.notEqual(client.pid, pid);
  assert.ok(maxDiff(again.results[0].tokens.slice(1).map((t) => t.logprob), REFERENCE.texts[0]['t1.0'].logprobs) <= 1e-3);
});

test('the process ends after idleMs without requests and starts again on demand', async () => {
  const idle = new ScoringClient({ script: SCRIPT, execArgv: ['--import', 'tsx'], idleMs: 200 });
  try {
    await idle.request('tokenize', { exportDir: EXPORT, text: 'hello' });
    const pid = idle.pid!;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(idle.pid, undefined);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.deepEqual((await idle.request('tokenize', { exportDir: EXPORT, text: 'hello' })).ids.length > 0, true);
  } finally {
    idle.dispose();
  }
});

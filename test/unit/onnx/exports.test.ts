// Export folders as the extension finds them (under a run's onnx/, per checkpoint), windowing, and
// `rlstudio export-onnx` run from the extension's side: progress lines, cancellation that leaves
// nothing behind, and the CLI's own error message for a bad source.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { byRecentUse, checkpointExports, listRunExports, readExport } from '../../../src/onnx/exportInfo';
import { ExportCancelledError, runExport } from '../../../src/onnx/exportRunner';
import { windowsFor } from '../../../src/onnx/windows';

const ROOT = join(__dirname, '..', '..', '..');
const RUN = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');

test('windows: one window when the text fits; else every token scored once with at least `overlap` tokens of context', () => {
  assert.deepEqual(windowsFor(10, 16, 4), [{ start: 0, end: 10, scoreFrom: 1 }]);
  const windows = windowsFor(40, 16, 4);
  const scored = windows.flatMap((w) => Array.from({ length: w.end - w.scoreFrom }, (_, i) => w.scoreFrom + i));
  assert.deepEqual(scored, Array.from({ length: 39 }, (_, i) => i + 1));
  for (const w of windows.slice(1)) {
    assert.equal(w.scoreFrom - w.start, 4);
    assert.ok(w.end - w.start <= 16);
  }
  assert.throws(() => windowsFor(40, 16, 15), /overlap 15/);
});

test('the export picker lists recently used exports first', () => {
  const exports = ['a', 'b', 'c', 'd'].map((dir) => ({ dir }));
  assert.deepEqual(byRecentUse(exports, ['c', 'a']).map((e) => e.dir), ['c', 'a', 'b', 'd']);
  assert.deepEqual(byRecentUse(exports, []).map((e) => e.dir), ['a', 'b', 'c', 'd']);
});

test('exports of a run: listed per checkpoint, half-written ones skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-exports-'));
  try {
    cpSync(RUN, dir, { recursive: true });
    mkdirSync(join(dir, 'onnx', 'checkpoint-3-int8')); // no export.json: interrupted
    mkdirSync(join(dir, 'onnx', '.checkpoint-3.tmp'));
    assert.deepEqual(listRunExports(dir).map((e) => [e.name, e.label]), [['checkpoint-3', 'fp32']]);
    assert.deepEqual(checkpointExports(dir, join(dir, 'checkpoints', 'checkpoint-3')).map((e) => e.name), ['checkpoint-3']);
    assert.deepEqual(checkpointExports(dir, join(dir, 'checkpoints', 'checkpoint-30')), []);
    const info = readExport(join(dir, 'onnx', 'checkpoint-3'));
    assert.equal(info.source.model, 'checkpoints/checkpoint-3');
    assert.ok(info.check.maxAbsLogprobDiff <= 1e-3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export from the extension: progress lines, then cancel leaves no folder behind', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-export-'));
  try {
    cpSync(RUN, dir, { recursive: true });
    rmSync(join(dir, 'onnx'), { recursive: true });
    const abort = new AbortController();
    const progress: string[] = [];
    const exporting = runExport({ command: PYTHON, args: ['-m', 'rlstudio'] }, join(dir, 'checkpoints', 'checkpoint-3'), {
      signal: abort.signal,
      onProgress: (message) => {
        progress.push(message);
        if (message.startsWith('exporting')) abort.abort();
      },
    });
    await assert.rejects(exporting, ExportCancelledError);
    assert.match(progress[0], /^loading .*checkpoint-3/);
    assert.deepEqual(existsSync(join(dir, 'onnx')) ? readdirSync(join(dir, 'onnx')) : [], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export from the extension: a bad source fails with the CLI message naming it', { timeout: 60_000 }, async () => {
  await assert.rejects(runExport({ command: PYTHON, args: ['-m', 'rlstudio'] }, '/nonexistent/checkpoint-1'), /\/nonexistent\/checkpoint-1: no such checkpoint or model folder/);
});

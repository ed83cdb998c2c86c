import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { JsonlTail } from '../../../src/runs/jsonlTail';
import { appendLines, tempDir } from './helpers';

test('reads only appended lines', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  assert.deepEqual((await tail.read()).rows, []); // missing file: nothing, no error
  appendLines(file, [{ a: 1 }, { a: 2 }]);
  assert.deepEqual((await tail.read()).rows, [{ a: 1 }, { a: 2 }]);
  assert.deepEqual((await tail.read()).rows, []);
  appendLines(file, [{ a: 3 }]);
  assert.deepEqual((await tail.read()).rows, [{ a: 3 }]);
});

test('leaves a half-written last line for the next read', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  fs.writeFileSync(file, '{"a":1}\n{"a":');
  const first = await tail.read();
  assert.deepEqual(first.rows, [{ a: 1 }]);
  assert.deepEqual(first.bad, []);
  fs.appendFileSync(file, '2}\n');
  assert.deepEqual((await tail.read()).rows, [{ a: 2 }]);
});

test('truncation resets to the start of the file', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  appendLines(file, [{ a: 1 }, { a: 2 }, { a: 3 }]);
  await tail.read();
  fs.writeFileSync(file, '{"b":1}\n');
  const r = await tail.read();
  assert.equal(r.reset, true);
  assert.deepEqual(r.rows, [{ b: 1 }]);
});

test('a deleted file resets, and a recreated one is read from the start', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  appendLines(file, [{ a: 1 }]);
  await tail.read();
  fs.rmSync(file);
  const gone = await tail.read();
  assert.equal(gone.reset, true);
  assert.deepEqual(gone.rows, []);
  appendLines(file, [{ c: 1 }, { c: 2 }]);
  assert.deepEqual((await tail.read()).rows, [{ c: 1 }, { c: 2 }]);
});

test('a replaced file (new inode, larger) is read from the start', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'm.jsonl');
  const tail = new JsonlTail(file);
  appendLines(file, [{ a: 1 }]);
  await tail.read();
  appendLines(path.join(dir, 'new'), [{ x: 1 }, { x: 2 }, { x: 3 }]);
  fs.renameSync(path.join(dir, 'new'), file);
  const r = await tail.read();
  assert.equal(r.reset, true);
  assert.deepEqual(r.rows, [{ x: 1 }, { x: 2 }, { x: 3 }]);
});

test('reports a corrupt complete line with its line number and keeps going', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  fs.writeFileSync(file, '{"a":1}\nnot json\n{"a":3}\n');
  const r = await tail.read();
  assert.deepEqual(r.rows, [{ a: 1 }, { a: 3 }]);
  assert.equal(r.bad.length, 1);
  assert.equal(r.bad[0].line, 2);
});

test('never re-reads consumed bytes (reads of a large file are incremental)', async () => {
  const file = path.join(tempDir(), 'm.jsonl');
  const tail = new JsonlTail(file);
  const rows = Array.from({ length: 30_000 }, (_, i) => ({ step: i, t: i, values: { reward: i / 2 } }));
  appendLines(file, rows);
  assert.equal((await tail.read()).rows.length, 30_000);
  // Overwrite the consumed prefix in place (same inode, same size): an incremental reader does not notice.
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, 0);
  fs.closeSync(fd);
  appendLines(file, [{ step: 30_000 }]);
  const next = await tail.read();
  assert.deepEqual(next.rows, [{ step: 30_000 }]);
  assert.deepEqual(next.bad, []);
});

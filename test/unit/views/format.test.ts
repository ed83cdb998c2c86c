import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReader } from '../../../src/runs/runReader';
import { formatNumber } from '../../../src/common/format';
import { describeRun, formatDuration, startingTitle } from '../../../src/views/format';
import { appendLines, manifest, tempDir, writeManifest } from '../runs/helpers';
import { runPaths } from '../../../src/runs/runFormat';

test('a running run is described as `step 120/500 · reward 0.62`; others start with their status', async () => {
  const dir = path.join(tempDir(), 'r');
  fs.mkdirSync(dir);
  writeManifest(dir, manifest({ maxSteps: 500 }));
  appendLines(runPaths(dir).metrics, [
    { step: 119, t: 1, values: { reward: 0.5 } },
    { step: 120, t: 2, values: { reward: 0.6213 } },
  ]);
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(describeRun(run), 'step 120/500 · reward 0.62');
  writeManifest(dir, manifest({ maxSteps: 500, status: 'stopped' }));
  await run.refresh();
  assert.equal(describeRun(run), 'Stopped · step 120/500 · reward 0.62');
});

test('numbers and durations', () => {
  assert.equal(formatNumber(0.6213, 2), '0.62');
  assert.equal(formatNumber(12.3456, 2), '12.35');
  assert.equal(formatNumber(-1, 2), '-1');
  assert.equal(formatNumber(123456, 2), '1.23e+5');
  assert.equal(formatDuration(12), '12s');
  assert.equal(formatDuration(200), '3m 20s');
  assert.equal(formatDuration(3720), '1h 02m');
});

test('a starting run is named by its run.json name, never by its folder id (issue 14, item 16)', async () => {
  const dir = path.join(tempDir(), '20261129-101500-grpo.rlstudio');
  fs.mkdirSync(dir);
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(startingTitle(run, 'Starting'), 'Starting the run');
  writeManifest(dir, manifest({ name: 'gsm8k $(flame) [x](command:evil)', status: 'starting' }));
  await run.refresh();
  assert.equal(startingTitle(run, 'Starting').replace(/\u2060/g, ''), 'Starting gsm8k $(flame) [x](command:evil)');
  assert.doesNotMatch(startingTitle(run, 'Starting'), /\$\(|\]\(/);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReader } from '../../../src/runs/runReader';
import { FsRunStore } from '../../../src/runs/runStore';
import type { Liveness } from '../../../src/runs/status';
import { appendLines, manifest, tempDir, writeManifest } from './helpers';
import { runPaths } from '../../../src/runs/runFormat';
import { describeRun } from '../../../src/views/format';

function runDir(): string {
  const dir = path.join(tempDir(), '20261128-020000-demo');
  fs.mkdirSync(runPaths(dir).logs, { recursive: true });
  return dir;
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

test('reads manifest, metrics (columnar, NaN for missing), events, rollouts and checkpoints', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ maxSteps: 500 }));
  appendLines(runPaths(dir).metrics, [
    { step: 1, t: 10, values: { reward: 0.5, loss: 1 } },
    { step: 2, t: 11, values: { reward: null, kl: 0.1 }, extra: 'ignored' },
  ]);
  appendLines(runPaths(dir).events, [
    { t: 10, type: 'status', status: 'running' },
    { t: 11, type: 'heartbeat', step: 3 },
    { t: 11, type: 'warning', message: 'careful' },
    { t: 12, type: 'brand_new_event', whatever: 1 },
  ]);
  fs.mkdirSync(runPaths(dir).rollouts);
  fs.writeFileSync(path.join(dir, 'rollouts', 'step-00000002.parquet'), '');
  fs.writeFileSync(path.join(dir, 'rollouts', 'step-00000001.parquet'), '');
  fs.writeFileSync(path.join(dir, 'rollouts', '.step-00000003.parquet.tmp'), '');
  fs.mkdirSync(path.join(dir, 'checkpoints', 'checkpoint-2'), { recursive: true });

  const run = new RunReader(dir);
  const appends: number[] = [];
  run.onDidAppendMetrics((e) => appends.push(e.from));
  await run.refresh();

  assert.equal(run.id, '20261128-020000-demo');
  assert.equal(run.name(), 'test run');
  assert.equal(run.derived.status, 'running');
  assert.deepEqual(run.metricNames(), ['kl', 'loss', 'reward']);
  assert.deepEqual([...run.metrics.steps()], [1, 2]);
  assert.deepEqual([...run.metrics.column('reward')!], [0.5, NaN]);
  assert.deepEqual([...run.metrics.column('kl')!], [NaN, 0.1]);
  assert.equal(run.metrics.latest('reward'), 0.5);
  assert.equal(run.lastStep(), 3);
  assert.deepEqual(run.recordedSteps(), [1, 2]);
  assert.deepEqual(run.checkpoints().map((c) => c.step), [2]);
  assert.deepEqual(run.recentEvents().map((e) => e.type), ['warning']);
  assert.deepEqual(appends, [0]);

  appendLines(runPaths(dir).metrics, [{ step: 3, t: 12, values: { reward: 0.7 } }]);
  await run.refresh();
  assert.deepEqual(appends, [0, 2]);
  assert.deepEqual([...run.metrics.column('reward')!], [0.5, NaN, 0.7]);

  fs.writeFileSync(runPaths(dir).metrics, JSON.stringify({ step: 1, t: 1, values: { reward: 9 } }) + '\n');
  await run.refresh();
  assert.deepEqual(appends, [0, 2, 0], 'truncation starts the table over');
  assert.deepEqual([...run.metrics.column('reward')!], [9]);
});

test('a running run whose pid is dead on this host is failed, with the stderr tail', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ pid: deadPid() }));
  fs.writeFileSync(runPaths(dir).log('stderr.log'), 'loading\nTraceback...\nKilled\n');
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(run.manifest?.status, 'running');
  assert.equal(run.derived.status, 'failed');
  assert.equal(run.derived.reason, 'process ended unexpectedly');
  assert.match(run.derived.stderrTail ?? '', /Killed$/);
});

test('a running run whose pid is alive stays running; a completed one is never re-derived', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ pid: process.pid }));
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(run.derived.status, 'running');
  writeManifest(dir, manifest({ pid: deadPid(), status: 'completed' }));
  await run.refresh();
  assert.equal(run.derived.status, 'completed');
  assert.equal(run.derived.reason, undefined);
});

test('on another host, a run is failed only after 30 s without a heartbeat', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ host: 'gpu-node-7', pid: 1, updatedAt: new Date(0).toISOString() }));
  appendLines(runPaths(dir).events, [{ t: 1000, type: 'heartbeat', step: 4 }]);
  let now = 1020;
  const liveness = (last: number | undefined): Liveness => ({ lastSignOfLife: last, now, host: 'laptop', isPidAlive: () => assert.fail('must not check a pid of another host') });
  const run = new RunReader(dir, liveness);
  await run.refresh();
  assert.equal(run.derived.status, 'running');
  now = 1031;
  await run.refresh();
  assert.equal(run.derived.status, 'failed');
});

test('bad files are reported with file and line, never thrown', async () => {
  const dir = runDir();
  fs.writeFileSync(runPaths(dir).manifest, '{"status": "runn');
  fs.writeFileSync(runPaths(dir).metrics, '{"step":1,"t":1,"values":{}}\n{oops}\n{"step":"x"}\n');
  const run = new RunReader(dir);
  await run.refresh();
  const problems = run.problems();
  assert.ok(problems.some((p) => p.file === 'run.json'));
  assert.ok(problems.some((p) => p.file === 'metrics.jsonl' && p.line === 2));
  assert.ok(problems.some((p) => p.file === 'metrics.jsonl' && /step/.test(p.message)));
  assert.equal(run.metrics.length, 1);
  writeManifest(dir, manifest({ status: 'stopped' }));
  await run.refresh();
  assert.equal(run.derived.status, 'stopped');
  assert.ok(!run.problems().some((p) => p.file === 'run.json'));
});

test('100k metric lines stay in columnar memory', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ status: 'completed' }));
  const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const lines: string[] = [];
  for (let step = 0; step < 100_000; step++) {
    lines.push(JSON.stringify({ step, t: step, values: Object.fromEntries(names.map((n, j) => [n, step + j])) }));
  }
  fs.writeFileSync(runPaths(dir).metrics, lines.join('\n') + '\n');
  lines.length = 0;
  global.gc?.();
  const before = process.memoryUsage();
  const run = new RunReader(dir);
  await run.refresh();
  global.gc?.();
  const after = process.memoryUsage();
  assert.equal(run.metrics.length, 100_000);
  assert.equal(run.metrics.column('m19')![99_999], 99_999 + 19);
  const grown = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  // 22 columns × 131072 capacity × 8 bytes ≈ 23 MB; rows as objects would be several times more.
  assert.ok(grown < 60e6, `grew by ${(grown / 1e6).toFixed(1)} MB`);
});

test('the store finds runs under its roots, picks up new ones and updates live runs by polling', async () => {
  const root = tempDir();
  const first = path.join(root, '20261128-010000-a');
  fs.mkdirSync(first);
  writeManifest(first, manifest({ name: 'a', createdAt: '2026-11-28T01:00:00Z' }));
  fs.mkdirSync(path.join(root, 'not-a-run'));
  const store = new FsRunStore({ pollMs: 50, rescanEvery: 2 });
  try {
    await store.setRoots([root, path.join(root, 'missing-root')]);
    assert.deepEqual(store.runs().map((r) => r.id), ['20261128-010000-a']);

    const second = path.join(root, '20261128-020000-b');
    fs.mkdirSync(second);
    writeManifest(second, manifest({ name: 'b', createdAt: '2026-11-28T02:00:00Z' }));
    await waitFor(() => store.runs().length === 2);
    assert.deepEqual(store.runs().map((r) => r.name()), ['b', 'a'], 'newest first');

    const run = store.get('20261128-020000-b')!;
    appendLines(runPaths(second).metrics, [{ step: 7, t: 1, values: { reward: 0.62 } }]);
    await waitFor(() => run.lastStep() === 7);
    fs.rmSync(first, { recursive: true });
    await waitFor(() => store.runs().length === 1);
  } finally {
    store.dispose();
  }
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a run folder without run.json is starting, and failed once its stderr has been quiet for 2 minutes', async () => {
  const dir = runDir();
  const stderr = runPaths(dir).log('stderr.log');
  fs.writeFileSync(stderr, 'ModuleNotFoundError: No module named rlstudio\n');
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(run.derived.status, 'starting');
  const old = new Date(Date.now() - 121_000);
  fs.utimesSync(stderr, old, old);
  await run.refresh();
  assert.equal(run.derived.status, 'failed');
  assert.equal(run.derived.reason, 'the trainer did not start');
  assert.match(run.derived.stderrTail ?? '', /ModuleNotFoundError/);
});

test('a malformed run.json is one broken run with its reason, and the other runs still list (issue 14, item 11)', async () => {
  const root = tempDir();
  const good = path.join(root, '20261128-010000-good');
  const noModel = path.join(root, '20261128-020000-no-model');
  const badStatus = path.join(root, '20261128-030000-bad-status');
  const odd = path.join(root, '20261128-040000-odd-types');
  for (const dir of [good, noModel, badStatus, odd]) fs.mkdirSync(dir);
  writeManifest(good, manifest({ name: 'good', createdAt: '2026-11-28T01:00:00Z', status: 'completed' }));
  const { model: _model, ...withoutModel } = manifest({ name: 'no model', createdAt: '2026-11-28T02:00:00Z', status: 'completed' });
  fs.writeFileSync(runPaths(noModel).manifest, JSON.stringify(withoutModel));
  fs.writeFileSync(runPaths(badStatus).manifest, JSON.stringify({ ...manifest(), status: 'exploded' }));
  fs.writeFileSync(runPaths(odd).manifest, JSON.stringify({ ...manifest({ status: 'completed' }), createdAt: 7, name: ['x'], maxSteps: 'many', config: null, error: 'boom' }));
  const store = new FsRunStore({ pollMs: 60_000 });
  try {
    await store.setRoots([root]);
    const runs = store.runs();
    assert.equal(runs.length, 4);
    const byId = new Map(runs.map((r) => [r.id, r]));

    const m = byId.get(path.basename(noModel))!;
    assert.equal(m.derived.status, 'completed');
    assert.equal(m.manifest?.model, '');
    assert.deepEqual(m.problems().map((p) => p.message), ['run.json: field "model" is missing']);

    const b = byId.get(path.basename(badStatus))!;
    assert.equal(b.derived.status, 'failed');
    assert.equal(b.derived.reason, 'run.json is broken');
    assert.match(b.derived.error?.message ?? '', /field "status" must be one of .* \(found "exploded"\)/);

    const o = byId.get(path.basename(odd))!;
    assert.equal(o.name(), path.basename(odd), 'a name that is not a string: the folder id');
    assert.equal(o.manifest?.createdAt, '');
    assert.deepEqual(o.manifest?.config, {});
    assert.equal(o.manifest?.error, null);
    assert.deepEqual(o.problems().map((p) => p.message.replace(/ must be .*| is missing/, '')), [
      'run.json: field "name"', 'run.json: field "createdAt"', 'run.json: field "error"', 'run.json: field "maxSteps"', 'run.json: field "config"',
    ]);
    assert.equal(describeRun(o), 'Completed');
    assert.equal(byId.get(path.basename(good))!.problems().length, 0);
  } finally {
    store.dispose();
  }
});

test('metric names from the run are only names; a missing value is not a non-finite one (issue 14, items 13 and 14)', async () => {
  const dir = runDir();
  writeManifest(dir, manifest());
  fs.writeFileSync(
    runPaths(dir).metrics,
    [
      '{"step": 1, "t": 1, "values": {"__proto__": 1, "constructor": 2, "toString": 3, "rlstudio/tokens_per_s": null, "loss": 0.5}}',
      '{"step": 2, "t": 2, "values": {"__proto__": 4, "constructor": 5, "toString": 6, "rlstudio/tokens_per_s": 900, "loss": "NaN", "kl": "Infinity"}}',
      '{"step": 3, "t": 3, "values": {"__proto__": 7, "rlstudio/tokens_per_s": null, "loss": 0.25, "kl": "-Infinity"}}',
      '',
    ].join('\n'),
  );
  const run = new RunReader(dir);
  await run.refresh();
  assert.deepEqual(run.metricNames(), ['__proto__', 'constructor', 'kl', 'loss', 'rlstudio/tokens_per_s', 'toString']);
  assert.deepEqual([...run.metrics.column('__proto__')!], [1, 4, 7]);
  assert.deepEqual([...run.metrics.column('toString')!], [3, 6, NaN]);
  assert.deepEqual(run.metrics.nonFinite('rlstudio/tokens_per_s'), [], 'null is a missing value');
  assert.deepEqual(run.metrics.nonFinite('loss'), [1]);
  assert.deepEqual(run.metrics.nonFinite('kl'), [1, 2]);
  assert.deepEqual([...run.metrics.column('loss')!], [0.5, NaN, 0.25]);
  assert.deepEqual(run.problems(), []);
});

test('the stderr tail of a killed run leaves out progress bars redrawn with carriage returns (issue 14, item 16)', async () => {
  const dir = runDir();
  writeManifest(dir, manifest({ pid: deadPid() }));
  const bar = (n: number) => `Training:  ${n * 10}%|${'█'.repeat(n)}${' '.repeat(10 - n)}| ${n}/10 [00:0${n}<00:10, 1.00it/s]`;
  fs.writeFileSync(
    runPaths(dir).log('stderr.log'),
    ['loading the model', [1, 2, 3, 4].map(bar).join('\r'), `Map: 100%|██████████| 64/64 [00:00<00:00, 900 examples/s]\r`, 'torch.OutOfMemoryError: CUDA out of memory', bar(5) + '\r' + bar(6), ''].join('\n'),
  );
  const run = new RunReader(dir);
  await run.refresh();
  assert.equal(run.derived.status, 'failed');
  assert.equal(run.derived.stderrTail, 'loading the model\ntorch.OutOfMemoryError: CUDA out of memory');
});

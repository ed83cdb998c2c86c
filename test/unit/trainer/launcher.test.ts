// Process tests: a real tiny CPU run of the real trainer, started, stopped, resumed and killed
// through the extension's launcher code (no VS Code). About a minute on 2 cores.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { RunReader } from '../../../src/runs/runReader';
import type { TrainerCli } from '../../../src/python/interpreter';
import { newRunDir, readManifest, requestControl, resumeRun, startRun, stopRun } from '../../../src/trainer/launcher';
import { runPaths } from '../../../src/runs/runFormat';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CLI: TrainerCli = { command: path.join(ROOT, '.venv', 'bin', 'rlstudio'), args: [], env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } };
const missing = fs.existsSync(CLI.command) ? false : `${CLI.command} is not installed (npm run setup)`;

let work: string;
let config: string;
const started: number[] = [];

before(() => {
  if (missing) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-launcher-'));
  execFileSync(PYTHON, ['-m', 'rlstudio.testing', 'make-tiny-model', path.join(work, 'model'), '--hidden', '16'], { stdio: 'ignore' });
  const rows = [1, 2, 3, 4].map((a) => JSON.stringify({ prompt: `What is ${a} + 2?`, answer: String(a + 2) }));
  fs.writeFileSync(path.join(work, 'data.jsonl'), rows.join('\n') + '\n');
  config = path.join(work, 'tiny.rlstudio.yaml');
  fs.writeFileSync(
    config,
    [
      'name: tiny',
      'model: {name: model}',
      'data: {path: data.jsonl}',
      'rewards: [{name: fmt, ref: format}]',
      'algorithm: {num_generations: 2, per_device_train_batch_size: 2, max_completion_length: 8, max_steps: 1000}',
      'checkpoints: {every_n_steps: 1000}',
      '',
    ].join('\n'),
  );
});

after(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
});

/** The trainer is unref'd (detached), so keep this process's event loop alive while waiting on it. */
async function exitOf(launched: { exited: Promise<number | string> }): Promise<number | string> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await launched.exited;
  } finally {
    clearInterval(keepAlive);
  }
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('start, stop gracefully (stopped + checkpoint), resume, stop again', { skip: missing, timeout: 300_000 }, async () => {
  const runDir = newRunDir(path.join(work, '.rlstudio', 'runs'), 'tiny.rlstudio.yaml');
  assert.match(path.basename(runDir), /^\d{8}-\d{6}-tiny$/);
  const launched = startRun(CLI, config, runDir);
  started.push(launched.pid);
  const run = new RunReader(runDir);
  await until('step 2', async () => (await run.refresh(), (run.lastStep() ?? 0) >= 2));
  assert.equal(run.derived.status, 'running');
  assert.equal(run.manifest?.pid, launched.pid, 'the spawned process is the trainer');
  assert.ok(fs.existsSync(runPaths(runDir).log('stderr.log')));

  const stages: string[] = [];
  const stage = await stopRun(runDir, { graceMs: 60_000, onStage: (s) => stages.push(s) });
  assert.equal(stage, 'ended');
  assert.deepEqual(stages, ['requested']);
  await run.refresh();
  assert.equal(run.derived.status, 'stopped');
  assert.equal(readManifest(runDir)?.status, 'stopped');
  const checkpoints = run.checkpoints();
  assert.ok(checkpoints.length >= 1, 'a graceful stop saves a checkpoint');
  assert.ok(!fs.existsSync(runPaths(runDir).controlFile('stop')), 'the trainer consumed the stop request');
  const stoppedAt = checkpoints.at(-1)!.step;

  const resumed = resumeRun(CLI, runDir);
  started.push(resumed.pid);
  await until('a step after the resume', async () => (await run.refresh(), run.manifest?.pid === resumed.pid && (run.lastStep() ?? 0) > stoppedAt + 1));
  assert.equal(run.manifest?.resumedFrom?.step, stoppedAt);
  requestControl(runDir, 'save');
  await until('a checkpoint saved on request', async () => (await run.refresh(), run.checkpoints().some((c) => c.step > stoppedAt)));
  assert.equal(await stopRun(runDir, { graceMs: 60_000 }), 'ended');
  await run.refresh();
  assert.equal(run.derived.status, 'stopped');
  assert.equal(await exitOf(resumed), 0);
});

test('SIGKILL of the trainer: the run is reported failed within 2 s', { skip: missing, timeout: 300_000 }, async () => {
  const runDir = newRunDir(path.join(work, '.rlstudio', 'runs'), 'killed');
  const launched = startRun(CLI, config, runDir);
  started.push(launched.pid);
  const run = new RunReader(runDir);
  await until('step 1', async () => (await run.refresh(), (run.lastStep() ?? 0) >= 1));
  process.kill(-launched.pid, 'SIGKILL');
  const killedAt = Date.now();
  await until('failed', async () => (await run.refresh(), run.derived.status === 'failed'), 2000);
  assert.ok(Date.now() - killedAt <= 2000);
  assert.equal(run.manifest?.status, 'running', 'the trainer had no chance to write an end status');
  assert.equal(run.derived.reason, 'process ended unexpectedly');
  assert.ok(run.derived.stderrTail !== undefined);
  assert.equal(await exitOf(launched), 'SIGKILL');
});

test('SIGTERM stage: a trainer that ignores the stop file is terminated', { skip: missing, timeout: 300_000 }, async () => {
  const runDir = newRunDir(path.join(work, '.rlstudio', 'runs'), 'term');
  const launched = startRun(CLI, config, runDir);
  started.push(launched.pid);
  const run = new RunReader(runDir);
  await until('step 1', async () => (await run.refresh(), (run.lastStep() ?? 0) >= 1));
  process.kill(launched.pid, 'SIGSTOP'); // frozen: it cannot see the stop file
  const stages: string[] = [];
  const stage = await stopRun(runDir, { graceMs: 1000, termMs: 1500, onStage: (s) => stages.push(s) });
  // SIGTERM stays pending on a stopped process, so the last resort is reached.
  assert.deepEqual(stages, ['requested', 'terminated', 'killed']);
  assert.equal(stage, 'killed');
  assert.equal(await exitOf(launched), 'SIGKILL');
  await run.refresh();
  assert.equal(run.derived.status, 'failed');
});

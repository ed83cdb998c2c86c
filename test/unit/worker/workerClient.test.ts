// The host client against the real Python worker (/work/main/.venv/bin/python -m rlstudio.worker).

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { CrashPolicy } from '../../../src/worker/crashPolicy';
import { WorkerClient, WorkerExitedError, type WorkerCrash } from '../../../src/worker/workerClient';

const PYTHON = resolve(__dirname, '../../../.venv/bin/python');

function client(extra: Partial<ConstructorParameters<typeof WorkerClient>[0]> = {}): WorkerClient {
  return new WorkerClient({ python: PYTHON, ...extra });
}

function rewardsFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-worker-'));
  const file = join(dir, 'rewards.py');
  writeFileSync(file, body);
  return file;
}

const SAMPLES = [
  { prompt: 'p0', completion: '<answer>4</answer>', columns: { answer: '4' } },
  { prompt: 'p1', completion: '<answer>5</answer>', columns: { answer: '4' } },
];

test('handshake and a reward run through vscode-jsonrpc, with progress and stderr', async () => {
  let stderr = '';
  const worker = client({ onStderr: (text) => (stderr += text) });
  try {
    const hello = await worker.start();
    assert.equal(hello.protocol, 'rlstudio.worker/1');
    assert.equal(hello.versions.trl, '1.13.0');
    const file = rewardsFile('def noisy(completions, **kwargs):\n    print("hello from user code")\n    return [0.5 for _ in completions]\n');
    const progress: (number | null)[] = [];
    const result = await worker.request(
      'rewards/run',
      { functions: [{ name: 'exact', ref: 'exact_answer' }, { name: 'noisy', ref: `${file}:noisy`, weight: 2 }], samples: SAMPLES },
      { onProgress: (value) => progress.push(value.done) },
    );
    assert.deepEqual(result.functions[0]!.scores, [1, 0]);
    assert.deepEqual(result.functions[1]!.scores, [0.5, 0.5]);
    assert.deepEqual(result.total, [2, 1]);
    assert.deepEqual(progress, [0, 1, 2]);
    await waitFor(() => stderr.includes('hello from user code'));
  } finally {
    worker.dispose();
  }
});

test('cancellation through a CancellationToken answers RequestCancelled', async () => {
  const worker = client();
  try {
    const source = new CancellationTokenSource();
    const pending = worker.request('worker/debug', { sleep: 30 }, { token: source.token });
    setTimeout(() => source.cancel(), 300);
    await assert.rejects(pending, (error: unknown) => error instanceof ResponseError && error.code === -32800);
    assert.ok((await worker.request('initialize', {})).pid > 0, 'the worker still answers');
  } finally {
    worker.dispose();
  }
});

test('a hung reward function is killed and named; the worker stays up', async () => {
  const worker = client();
  try {
    const file = rewardsFile('def stuck(completions, **kwargs):\n    while True:\n        pass\n');
    const started = Date.now();
    const result = await worker.request('rewards/run', { functions: [{ name: 'stuck', ref: `${file}:stuck` }], samples: SAMPLES, timeoutS: 1 });
    assert.ok(Date.now() - started < 15_000);
    const failure = result.functions[0]!.errors[0]!;
    assert.equal(failure.error.type, 'Timeout');
    assert.match(failure.error.message, /'stuck' did not return within 1 s/);
    assert.deepEqual(failure.indices, [0, 1]);
  } finally {
    worker.dispose();
  }
});

test('the host watchdog kills a worker that ignores its timeout, and it restarts', async () => {
  const crashes: WorkerCrash[] = [];
  const worker = client({ onCrash: (crash) => crashes.push(crash) });
  try {
    const first = (await worker.start()).pid;
    // A worker that no longer answers at all (stopped), so even the cancel goes unanswered.
    process.kill(first, 'SIGSTOP');
    await assert.rejects(worker.request('initialize', {}, { timeoutMs: 300 }), WorkerExitedError);
    await waitFor(() => crashes.length === 1);
    assert.equal(crashes[0]!.signal, 'SIGKILL');
    assert.equal(crashes[0]!.restarting, true);
    const second = (await worker.start()).pid;
    assert.notEqual(second, first);
  } finally {
    worker.dispose();
  }
});

test('a crashed worker is restarted, but not in a loop', async () => {
  const crashes: WorkerCrash[] = [];
  const worker = client({ onCrash: (crash) => crashes.push(crash), policy: new CrashPolicy(2, 60_000) });
  try {
    await worker.start();
    await assert.rejects(worker.request('worker/debug', { crash: 7 }), WorkerExitedError);
    await waitFor(() => crashes.length === 1);
    assert.deepEqual([crashes[0]!.code, crashes[0]!.restarting], [7, true]);
    await worker.start(); // the restarted worker answers
    await assert.rejects(worker.request('worker/debug', { crash: 8 }), WorkerExitedError);
    await waitFor(() => crashes.length === 2);
    assert.equal(crashes[1]!.restarting, false);
    await assert.rejects(worker.start(), /crashed 2 times; restart it/);
    assert.equal((await worker.restart()).protocol, 'rlstudio.worker/1');
  } finally {
    worker.dispose();
  }
});

test('an interpreter without rlstudio: the error says so, three tries, then it gives up', async () => {
  const crashes: WorkerCrash[] = [];
  const worker = client({ onCrash: (crash) => crashes.push(crash), python: '/usr/bin/python3' });
  await assert.rejects(worker.start(), /rlstudio is not installed in \/usr\/bin\/python3[^]*No module named 'rlstudio'/);
  await waitFor(() => crashes.some((crash) => !crash.restarting));
  assert.equal(crashes.length, 3, 'three tries in the window, then stop');
  worker.dispose();
});

test('CrashPolicy forgets crashes older than its window', () => {
  let now = 0;
  const policy = new CrashPolicy(2, 1000, () => now);
  assert.equal(policy.recordCrash(), true);
  now = 2000;
  assert.equal(policy.recordCrash(), true);
  now = 2500;
  assert.equal(policy.recordCrash(), false);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

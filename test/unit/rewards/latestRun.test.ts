// The run the Reward Lab opens on when opened before the run store's first scan ended (before: it
// said "no run with recorded rollouts" until the picker was opened again). A real FsRunStore on real
// run folders.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { latestRunWithRollouts } from '../../../src/rewards/latestRun';
import { runPaths } from '../../../src/runs/runFormat';
import { FsRunStore } from '../../../src/runs/runStore';
import { manifest, tempDir, writeManifest } from '../runs/helpers';

function makeRun(root: string, id: string, createdAt: string, steps: number[]): string {
  const dir = path.join(root, id);
  fs.mkdirSync(runPaths(dir).logs, { recursive: true });
  writeManifest(dir, manifest({ id, name: id, createdAt, status: 'completed' }));
  if (steps.length > 0) fs.mkdirSync(runPaths(dir).rollouts);
  for (const step of steps) fs.writeFileSync(runPaths(dir).shard(step), '');
  return dir;
}

test('opened before the first scan ends: the newest run with rollouts once the scan has found it', async () => {
  const root = tempDir();
  makeRun(root, '20261101-000000-old', '2026-11-01T00:00:00.000Z', [1]);
  makeRun(root, '20261120-000000-middle', '2026-11-20T00:00:00.000Z', [1, 2]);
  makeRun(root, '20261130-000000-new-without-rollouts', '2026-11-30T00:00:00.000Z', []);
  const store = new FsRunStore({ pollMs: 60_000 });
  try {
    const scanned = store.setRoots([root]);
    const pending = latestRunWithRollouts(store, scanned);
    assert.equal(store.runs().length, 0, 'at this moment the store knows no run: what the Lab saw before the fix');
    const run = await pending.run;
    assert.equal(run?.id, '20261120-000000-middle');
  } finally {
    store.dispose();
  }
});

test('no run with rollouts at the end of the scan: the first one to appear later; disposed: none', async () => {
  const root = tempDir();
  makeRun(root, '20261130-000000-empty', '2026-11-30T00:00:00.000Z', []);
  const store = new FsRunStore({ pollMs: 60_000 });
  try {
    const scanned = store.setRoots([root]);
    const pending = latestRunWithRollouts(store, scanned);
    await scanned;
    let settled = false;
    void pending.run.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, false, 'waits while no run has rollouts');
    await store.add(makeRun(root, '20261130-010000-recorded', '2026-11-30T01:00:00.000Z', [3]));
    assert.equal((await pending.run)?.id, '20261130-010000-recorded');

    const cancelled = latestRunWithRollouts(store, new Promise(() => undefined));
    cancelled.dispose();
    assert.equal(await cancelled.run, undefined);
  } finally {
    store.dispose();
  }
});

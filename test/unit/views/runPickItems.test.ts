// The one run quick pick's items (src/views/runPickItems.ts): which runs it offers and how their
// run-provided text reaches the pick. Real run folders read by the real reader.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReader } from '../../../src/runs/runReader';
import { runPaths } from '../../../src/runs/runFormat';
import { describeRecordedSteps, hasRecordedRollouts, runPickItems } from '../../../src/views/runPickItems';
import { manifest, tempDir, writeManifest } from '../runs/helpers';

async function run(root: string, id: string, name: string, steps: number[]): Promise<RunReader> {
  const dir = path.join(root, id);
  fs.mkdirSync(runPaths(dir).logs, { recursive: true });
  writeManifest(dir, manifest({ id, name, status: 'completed' }));
  if (steps.length > 0) fs.mkdirSync(runPaths(dir).rollouts);
  for (const step of steps) fs.writeFileSync(runPaths(dir).shard(step), '');
  const reader = new RunReader(dir);
  await reader.refresh();
  return reader;
}

test('the filter keeps only the runs it accepts (runs with recorded rollouts), in the given order', async () => {
  const root = tempDir();
  const runs = [
    await run(root, '20261130-010000-a', 'with two steps', [1, 2]),
    await run(root, '20261130-000000-b', 'nothing recorded', []),
    await run(root, '20261129-000000-c', 'one step', [5]),
  ];
  const items = runPickItems(runs, { filter: hasRecordedRollouts, describe: describeRecordedSteps });
  assert.deepEqual(items.map((i) => i.run.id), ['20261130-010000-a', '20261129-000000-c']);
  assert.deepEqual(items.map((i) => i.description), ['2 recorded steps · 20261130-010000-a', '1 recorded step · 20261129-000000-c']);
  assert.deepEqual(runPickItems(runs).map((i) => i.description), ['completed · 20261130-010000-a', 'completed · 20261130-000000-b', 'completed · 20261129-000000-c']);
  assert.deepEqual(runPickItems(runs, { filter: () => false }), []);
});

test('run names and descriptions are plain: no $(icon), no [link](command:…)', async () => {
  const root = tempDir();
  const hostile = await run(root, '20261130-020000-x', '$(flame) [click](command:workbench.action.quit)', [1]);
  const [item] = runPickItems([hostile], { describe: (r) => `${r.name()} · $(gear)` });
  assert.ok(!item.label.includes('$('), item.label);
  assert.ok(!item.label.includes(']('), item.label);
  assert.ok(!item.description.includes('$('), item.description);
  assert.equal(item.label.replace(/\u2060/g, ''), '$(flame) [click](command:workbench.action.quit)', 'reads as written');
});

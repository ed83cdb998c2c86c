// The dashboard host's Selection data (src/webviews/dashboard/selectionHistograms.ts) over real run
// folders: a copy of the fixture run with a selection.jsonl, the fixture run without one, an unknown run.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsRunStore } from '../../../src/runs/runStore';
import { runPaths } from '../../../src/runs/runFormat';
import { SelectionHistograms } from '../../../src/webviews/dashboard/selectionHistograms';

const FIXTURE = join(__dirname, '../../fixtures/runs/completed-tiny');
const line = (step: number, estimates: (number | null)[]) =>
  JSON.stringify({ step, prompts: estimates.map((estimate, i) => ({ dataset_index: i, estimate, basis: estimate === null ? 'none' : 'predicted', reason: 'target', observed: 0.5 })) }) + '\n';

test('each run’s difficulty histogram, read again as lines are appended; null without selection.jsonl', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rlstudio-selection-runs-'));
  cpSync(FIXTURE, join(root, 'with-selection'), { recursive: true });
  cpSync(FIXTURE, join(root, 'without'), { recursive: true });
  const file = runPaths(join(root, 'with-selection')).selection;
  writeFileSync(file, line(1, [0.05, 0.55, 0.56, null]));
  const store = new FsRunStore({ pollMs: 60_000 });
  try {
    await store.setRoots([root]);
    const ids = store.runs().map((r) => r.id);
    const withSelection = ids.find((id) => store.get(id)!.dir.endsWith('with-selection'))!;
    const without = ids.find((id) => store.get(id)!.dir.endsWith('without'))!;
    const histograms = new SelectionHistograms(store);
    assert.deepEqual(await histograms.histogram(withSelection), { steps: [1], counts: [[1, 0, 0, 0, 0, 2, 0, 0, 0, 0]], unestimated: [1], problems: [] });
    appendFileSync(file, line(2, [0.99]));
    const after = (await histograms.histogram(withSelection))!;
    assert.deepEqual(after.steps, [1, 2]);
    assert.deepEqual(after.counts[1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(await histograms.histogram(without), null);
    await assert.rejects(histograms.histogram('no-such-run'), /No run 'no-such-run'/);
  } finally {
    store.dispose();
  }
});

// selection.jsonl as the inspector reads it: the documented line format, the last line of a step
// wins, a half-written last line waits, a rewritten file (after a resume) is read again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { SelectionLog } from '../../../src/runs/selectionLog';
import { sourceLine } from '../../../webview/inspector/sourceLine';
import type { InspectedRollout } from '../../../src/runs/rolloutTypes';

const line = (step: number, prompts: object[]) => JSON.stringify({ step, prompts }) + '\n';
const chosen = (index: number, estimate: number | null, basis: string, reason: string, observed: number | null) => ({
  dataset_index: index, estimate, basis, reason, observed,
});

test('why a prompt was chosen at a step', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-selection-')), 'selection.jsonl');
  const log = new SelectionLog(file);
  assert.equal(await log.choice(1, 0), null); // no file: selection was off
  fs.writeFileSync(file, line(1, [chosen(3, null, 'none', 'target', 0.5), chosen(0, null, 'none', 'explore', 1)]) + '{"step": 2, "pro');
  assert.deepEqual(await log.choice(1, 0), { estimate: null, basis: 'none', reason: 'explore', observed: 1 });
  assert.equal(await log.choice(2, 1), null); // the half-written line is not read yet
  fs.appendFileSync(file, 'mpts": [{"dataset_index": 1, "estimate": 0.46, "basis": "predicted", "reason": "target", "observed": 0.75}]}\n');
  assert.deepEqual(await log.choice(2, 1), { estimate: 0.46, basis: 'predicted', reason: 'target', observed: 0.75 });
  fs.appendFileSync(file, line(2, [chosen(2, 0.5, 'observed', 'target', null)])); // step 2 redone: the last line wins
  assert.equal(await log.choice(2, 1), null);
  assert.equal((await log.choice(2, 2))?.basis, 'observed');
  fs.writeFileSync(file, line(1, [chosen(5, 0.1, 'observed', 'target', 0)])); // rewritten on resume
  assert.equal(await log.choice(1, 3), null);
  assert.equal((await log.choice(1, 5))?.estimate, 0.1);
});

test('the line under the prompt in the inspector', () => {
  const detail = { datasetIndex: 41, selection: null } as unknown as InspectedRollout;
  assert.equal(sourceLine(detail), 'Data row 41');
  const choice = { estimate: 0.456, basis: 'predicted', reason: 'target', observed: 0.75 } as const;
  assert.equal(sourceLine({ ...detail, selection: choice }), 'Data row 41 · chosen for the target difficulty: estimated 0.46 from similar prompts, observed 0.75');
  assert.equal(
    sourceLine({ ...detail, selection: { estimate: null, basis: 'none', reason: 'explore', observed: null } }),
    'Data row 41 · chosen at random (exploration): no estimate yet',
  );
});

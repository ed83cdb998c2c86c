// selection.jsonl as the inspector reads it: the documented line format, the last line of a step
// wins, a half-written last line waits, a rewritten file (after a resume) is read again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { SelectionLog } from '../../../src/runs/selectionLog';
import { replayLine, sourceLine } from '../../../webview/inspector/sourceLine';
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

test('a replayed row: its choice is the one of the step that generated it, and its line says so', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-selection-')), 'selection.jsonl');
  fs.writeFileSync(file, line(5, [chosen(41, 0.456, 'predicted', 'target', 0.75)]) + line(7, [chosen(41, 0.9, 'observed', 'explore', 1)]));
  const log = new SelectionLog(file);
  assert.equal((await log.choiceOf({ step: 7, age: 0, datasetIndex: 41 }))?.estimate, 0.9, 'a fresh row: its own step');
  const choice = await log.choiceOf({ step: 7, age: 2, datasetIndex: 41 });
  assert.equal(choice?.estimate, 0.456, 'a replayed row: the step that generated it');
  assert.equal(await log.choiceOf({ step: 7, age: 2, datasetIndex: null }), null);
  const detail = { step: 7, age: 2, replayed: true, datasetIndex: 41, selection: choice } as unknown as InspectedRollout;
  assert.equal(sourceLine(detail), 'Data row 41 · replayed from step 5, chosen there for the target difficulty: estimated 0.46 from similar prompts, observed 0.75');
  assert.equal(sourceLine({ ...detail, selection: null }), 'Data row 41 · replayed from step 5');
  assert.equal(replayLine(detail), 'Replayed from step 5 (age 2)');
});

test('the difficulty histogram over steps', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-selection-')), 'selection.jsonl');
  const log = new SelectionLog(file);
  assert.equal(await log.histogram(), null, 'no file: selection was off');
  fs.writeFileSync(
    file,
    line(2, [chosen(0, 0, 'observed', 'target', 0), chosen(1, 0.1, 'predicted', 'target', 0), chosen(2, 1, 'observed', 'target', 1), chosen(3, null, 'none', 'explore', null)]) +
      line(1, [chosen(0, 0.95, 'predicted', 'target', 1), chosen(1, 0.0999, 'predicted', 'explore', 1)]) +
      'not json\n',
  );
  const histogram = (await log.histogram())!;
  assert.deepEqual(histogram.steps, [1, 2]);
  //                                  0.0 0.1 0.2 … 0.9
  assert.deepEqual(histogram.counts, [
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 1],
  ]);
  assert.deepEqual(histogram.unestimated, [0, 1]);
  assert.deepEqual(histogram.problems.length, 1);
  assert.match(histogram.problems[0], /^selection\.jsonl line 3: /);
  fs.writeFileSync(file, line(1, [chosen(0, 0.5, 'observed', 'target', 0)])); // rewritten on resume
  assert.deepEqual(await log.histogram(), { steps: [1], counts: [[0, 0, 0, 0, 0, 1, 0, 0, 0, 0]], unestimated: [0], problems: [] });
});

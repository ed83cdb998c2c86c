// The Reward Lab's pure parts: which functions get a CodeLens, "Add to Run Config", the statistics.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addRewardToConfig, AddToConfigError } from '../../../src/rewards/addToConfig';
import { buildResult, mergeRuns } from '../../../src/rewards/labResult';
import { correlation, describeDiff, diffScores, histogram, tracebackFrames } from '../../../src/rewards/labStats';
import { findRewardFunctions, functionDefinition, functionsForRun, missingFileMessage, missingRewardFiles, parameterNames, refFile } from '../../../src/rewards/rewardFunctions';

test('reward functions: top-level defs with a `completions` parameter', () => {
  const source = [
    'import re',
    'def helper(text):',
    '    return text',
    'def correct(prompts, completions, answer=None, **kwargs):',
    '    def inner(completions): ...',
    'async def scored(',
    '    completions: list[str],',
    '    weights: dict[str, float] = {"a": (1, 2)},',
    ') -> list[float]:',
    '    pass',
    'def not_reward(completion, completions_count): ...',
    'class K:',
    '    def method(self, completions): ...',
  ].join('\n');
  assert.deepEqual(findRewardFunctions(source), [
    { name: 'correct', line: 3 },
    { name: 'scored', line: 5 },
  ]);
  assert.deepEqual(parameterNames('self, *args, b: int = f(1, 2), **kw'), ['self', 'args', 'b', 'kw']);
});

test('add to run config keeps comments and appends to rewards', () => {
  const text = '# my run\nmodel:\n  name: ./m # local\nrewards:\n  - name: exact\n    ref: exact_answer\n';
  const out = addRewardToConfig(text, { name: 'mine', ref: 'rewards.py:mine' });
  assert.match(out, /# my run/);
  assert.match(out, /name: \.\/m # local/);
  assert.match(out, /- name: mine\n {4}ref: rewards\.py:mine\n {4}weight: 1/);
  assert.throws(() => addRewardToConfig(out, { name: 'mine', ref: 'rewards.py:mine' }), AddToConfigError);
  const renamed = addRewardToConfig(out, { name: 'exact', ref: 'other.py:exact' });
  assert.match(renamed, /name: exact_2/);
  assert.match(addRewardToConfig('model:\n  name: x\n', { name: 'a', ref: 'r.py:a' }), /rewards:\n {2}- name: a/);
  assert.throws(() => addRewardToConfig('model: [\n', { name: 'a', ref: 'r.py:a' }, 'x.rlstudio.yaml'), /x\.rlstudio\.yaml:\d+: invalid YAML/);
  assert.throws(() => addRewardToConfig('rewards: 3\n', { name: 'a', ref: 'r.py:a' }), /`rewards` must be a list/);
});

test('histogram, correlation and diffs skip nulls', () => {
  assert.deepEqual(histogram([0, 1, null, 1, 0.5], 2), { min: 0, max: 1, counts: [1, 3] });
  assert.deepEqual(histogram([2, 2]), { min: 2, max: 2, counts: [2] });
  assert.equal(histogram([null]), null);
  assert.equal(correlation([1, 2, 3, null], [2, 4, 6, 1]), 1);
  assert.ok(Math.abs(correlation([1, 2, 3], [3, 2, 1])! + 1) < 1e-12);
  assert.equal(correlation([1, 1, 1], [1, 2, 3]), null);
  const diff = diffScores([1, 1, 0, 1, null], [0, 1, 1, null, 1]);
  assert.deepEqual(diff, { compared: 3, lowered: [0], raised: [2], nowFailing: [3], nowScoring: [4] });
  assert.equal(describeDiff(diff, 'the previous run'), 'Against the previous run: lowers 1 of 5, raises 1 of 5, newly fails on 1, now scores 1 that failed.');
});

test('traceback frames are parsed with file, line and function', () => {
  const tb = 'Traceback (most recent call last):\n  File "/w/rewards.py", line 12, in brittle\n    x = 1 / 0\n  File "<string>", line 1\nZeroDivisionError: division by zero\n';
  assert.deepEqual(tracebackFrames(tb), [
    { file: '/w/rewards.py', line: 12, function: 'brittle' },
    { file: '<string>', line: 1, function: '' },
  ]);
});

test('a lab result: totals, failures with frames, and diffs against previous and recorded', () => {
  const run = {
    functions: [
      { name: 'a', ref: 'a', weight: 1, scores: [1, 0, null], errors: [{ indices: [2], error: { type: 'BadRewardValue', message: 'nan', traceback: '' } }], extras: {}, seconds: 0 },
      { name: 'b', ref: 'b', weight: 1, scores: [1, 1, 0], errors: [], extras: {}, seconds: 0 },
    ],
    total: [2, 1, 0],
  };
  const first = buildResult(run, null, { total: [2, 2, 0], byFunction: {} }, 'manual');
  assert.equal(first.vsPrevious, null);
  assert.deepEqual(first.vsRecorded?.lowered, [1]);
  assert.equal(first.failures[0]!.function, 'a');
  assert.deepEqual(first.correlations, [[1, null], [null, 1]]); // b is constant where a scores
  const second = buildResult({ ...run, total: [1, 1, 0] }, first, null, 'save');
  assert.equal(second.vsPrevious?.summary, 'Against the previous run: lowers 1 of 3.');
});

test('refFile resolves relative refs against the config folder', () => {
  assert.equal(refFile('rewards.py:f', '/w/proj'), '/w/proj/rewards.py');
  assert.equal(refFile('/abs/r.py:f', '/w'), '/abs/r.py');
  assert.equal(refFile('exact_answer', '/w'), undefined);
  assert.equal(refFile('pkg.mod:f', '/w'), undefined);
});

test('missing reward files are named with the functions that use them; built-ins and existing files are not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-rewards-'));
  writeFileSync(join(dir, 'here.py'), 'def f(completions, **kw): ...\n');
  const functions = [
    { name: 'exact', ref: 'exact_answer' },
    { name: 'here', ref: 'here.py:f' },
    { name: 'a', ref: 'gone.py:a' },
    { name: 'b', ref: `${join(dir, 'gone.py')}:b` },
    { name: 'c', ref: '/nowhere/else.py:c' },
  ];
  assert.deepEqual(missingRewardFiles(functions, dir), [
    { file: join(dir, 'gone.py'), functions: ['a', 'b'] },
    { file: '/nowhere/else.py', functions: ['c'] },
  ]);
});

test('failures are one entry per function with every sample, the first error and the others folded (issue 14, item 15)', () => {
  const wrapper = (n: number) => ({
    indices: [n],
    error: { type: 'ZeroDivisionError', message: `sample ${n}`, traceback: `Traceback (most recent call last):\n  File "/venv/lib/python3.11/site-packages/rlstudio/rewards.py", line 200, in wrapped\n    values = func(prompts, completions)\n  File "/w/rewards.py", line ${10 + n}, in brittle\n    1 / 0\nZeroDivisionError: sample ${n}\n` },
  });
  const run = {
    functions: [
      { name: 'brittle', ref: 'rewards.py:brittle', weight: 1, scores: [null, null, null, 1], errors: [wrapper(0), wrapper(1), wrapper(2)], extras: {}, seconds: 0 },
      { name: 'short', ref: 'rewards.py:short', weight: 1, scores: [null, null, null, null], errors: [{ indices: [0, 1, 2, 3], error: { type: 'BadRewardValue', message: "reward function 'short' returned 3 values for 4 completions", traceback: 'Traceback (most recent call last):\n  File "/venv/lib/python3.11/site-packages/rlstudio/rewards.py", line 231, in check\n    raise BadRewardValue(...)\n' } }], extras: {}, seconds: 0 },
      { name: 'fine', ref: 'rewards.py:fine', weight: 1, scores: [1, 1, 1, 1], errors: [], extras: {}, seconds: 0 },
    ],
    total: [null, null, null, 1],
  };
  const definitions = new Map([['short', { file: '/w/rewards.py', line: 30, function: 'short' }]]);
  const result = buildResult(run, null, null, 'manual', definitions);
  assert.deepEqual(result.failures.map((f) => [f.function, f.indices, f.others.length]), [['brittle', [0, 1, 2], 2], ['short', [0, 1, 2, 3], 0]]);
  const [brittle, short] = result.failures;
  assert.equal(brittle!.error.message, 'sample 0');
  assert.deepEqual(brittle!.frames, [{ file: '/w/rewards.py', line: 10, function: 'brittle' }], "the user's frame, not the wrapper's");
  assert.deepEqual(short!.frames, [{ file: '/w/rewards.py', line: 30, function: 'short' }], 'raised by the wrapper: the definition');
});

test('a reward function is located in its file; a run switch drops the previous run\'s functions; a file never seen "does not exist" (issue 14, item 15)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-rewards-'));
  writeFileSync(join(dir, 'rewards.py'), 'import math\n\n\ndef short(prompts, completions, **kw):\n    return [1]\n');
  assert.deepEqual(functionDefinition('rewards.py:short', dir), { file: join(dir, 'rewards.py'), line: 4, function: 'short' });
  assert.equal(functionDefinition('rewards.py:nope', dir), undefined);
  assert.equal(functionDefinition('exact_answer', dir), undefined);

  const functions = [
    { name: 'accuracy', origin: 'run' },
    { name: 'format', origin: 'run' },
    { name: 'mine', origin: 'workspace' },
    { name: 'exact_answer', origin: 'builtin' },
  ];
  assert.deepEqual(functionsForRun(functions, [{ name: 'format' }, { name: 'length' }]).map((f) => f.name), ['format', 'mine', 'exact_answer']);

  const missing = { file: '/w/gone.py', functions: ['a', 'b'] };
  assert.equal(missingFileMessage(missing, new Set()), 'The reward file /w/gone.py does not exist: not running a, b.');
  assert.equal(missingFileMessage(missing, new Set(['/w/gone.py'])), 'The reward file /w/gone.py no longer exists: not running a, b.');
});

test('"Test on Rollouts" of one function: its fresh scores merged with the others\' last ones, the total recomputed (issue 14, item 15)', () => {
  const scored = (name: string, scores: (number | null)[]) => ({ name, ref: `rewards.py:${name}`, weight: 1, scores, errors: [], extras: {}, seconds: 0 });
  const last = { functions: [scored('slow', [1, 0, null]), scored('mine', [0, 0, 0])], total: [1, 0, 0] };
  const fresh = { functions: [scored('mine', [0.5, 1, null])], total: [0.5, 1, null] };
  const merged = mergeRuns(last, fresh, [{ name: 'slow', weight: 2 }, { name: 'mine', weight: 1 }]);
  assert.deepEqual(merged?.functions.map((f) => [f.name, f.scores]), [['slow', [1, 0, null]], ['mine', [0.5, 1, null]]]);
  assert.deepEqual(merged?.total, [2.5, 1, null]);
  assert.equal(mergeRuns(last, fresh, [{ name: 'never-ran', weight: 1 }, { name: 'mine', weight: 1 }]), undefined, 'unknown scores: run them all');
  assert.equal(mergeRuns(null, fresh, [{ name: 'slow', weight: 1 }, { name: 'mine', weight: 1 }]), undefined);
});

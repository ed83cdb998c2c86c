// The count scale of the dashboard's difficulty heatmap (src/common/colorScale.ts): whole-number bins
// from 1 to the largest count, at most seven, each count in exactly one bin, darker for more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binOf, countScale } from '../../../src/common/colorScale';

test('one bin per count up to seven, then ranges that cover 1 … max', () => {
  assert.deepEqual(countScale(1).labels, ['1']);
  assert.deepEqual(countScale(3).labels, ['1', '2', '3']);
  assert.deepEqual(countScale(7).labels, ['1', '2', '3', '4', '5', '6', '7']);
  const big = countScale(100);
  assert.equal(big.edges.length, 7);
  assert.equal(big.labels[0], '1–14');
  assert.equal(big.labels.at(-1), '86–100');
  for (const max of [1, 2, 5, 7, 8, 13, 64, 1000]) {
    const scale = countScale(max);
    let previous = 0;
    for (let count = 1; count <= max; count++) {
      const bin = binOf(scale, count);
      assert.ok(bin === previous || bin === previous + 1, `max ${max}: count ${count} follows on`);
      const [from, to] = scale.labels[bin].split('–').map(Number);
      assert.ok(count >= from && count <= (to ?? from), `max ${max}: ${count} in ${scale.labels[bin]}`);
      previous = bin;
    }
    assert.equal(binOf(scale, max), scale.edges.length - 1, 'the largest count is in the last bin');
  }
});

test('darker for more', () => {
  const alphas = countScale(7).colors.map((c) => Number(c.match(/([\d.]+)\)$/)![1]));
  assert.deepEqual([...alphas].sort((a, b) => a - b), alphas);
  assert.equal(alphas[0], 0.25);
  assert.equal(alphas.at(-1), 0.95);
  assert.deepEqual(countScale(1).colors, ['rgba(0, 140, 255, 0.95)']);
});

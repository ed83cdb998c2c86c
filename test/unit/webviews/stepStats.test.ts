import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeStepStats } from '../../../src/webviews/inspector/stepStats';

describe('step statistics', () => {
  it('uses the trainer threshold and ranks forking tokens', () => {
    const stats = computeStepStats({
      tokens: [
        ['So', ' wait', ' the', ' wait'],
        ['Thus', ' the', ' wait', '.'],
      ],
      entropies: [
        [0.1, 2.0, 0.2, 3.0],
        [1.5, 0.1, 2.5, 0.0],
      ],
      lossMask: [
        [0, 1, 0, 1],
        [1, 0, 1, 0],
      ],
      entropyThreshold: [1.0, 1.0],
    });
    assert.equal(stats.tokens, 8);
    assert.equal(stats.thresholdSource, 'trainer');
    assert.equal(stats.threshold, 1.0);
    assert.equal(stats.shareAboveThreshold, 4 / 8);
    assert.deepEqual(stats.topForking[0], { token: ' wait', count: 3, meanEntropy: 2.5 });
    assert.deepEqual(stats.topForking[1], { token: 'Thus', count: 1, meanEntropy: 1.5 });
    assert.equal(stats.histogram.counts.reduce((a, b) => a + b), 8);
    assert.equal(stats.histogram.counts.at(-1), 1); // the maximum lands in the last bin
  });

  it('falls back to the 80th percentile when the trainer recorded no threshold', () => {
    const entropies = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
    const stats = computeStepStats({ tokens: [entropies[0].map(String)], entropies, lossMask: [[]], entropyThreshold: [null] });
    assert.equal(stats.thresholdSource, 'p80');
    assert.equal(stats.threshold, 8);
    assert.equal(stats.shareAboveThreshold, 0.2);
  });
});

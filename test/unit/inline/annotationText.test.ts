import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annotationText, correctnessReward, flags, promptStats, rewardLensText } from '../../../src/inline/annotationText';
import type { RolloutScore } from '../../../src/runs/rolloutTypes';

function row(groupIndex: number, reward: number | null, rewards: Record<string, number | null>, rewardError: string | null = null): RolloutScore {
  return { row: groupIndex, promptIndex: 0, groupIndex, prompt: 'p', reward, rewards, advantage: 0, truncated: false, rewardError, replayed: false };
}

const correctness = { name: 'correct', because: 'built-in reasoning_gym' };

describe('dataset line annotations', () => {
  it('picks the correctness reward by built-in ref, else by name, else none', () => {
    assert.deepEqual(correctnessReward([{ name: 'fmt', ref: 'format' }, { name: 'acc', ref: 'exact_answer' }]), { name: 'acc', because: 'built-in exact_answer' });
    assert.deepEqual(correctnessReward([{ name: 'fmt', ref: 'format' }, { name: 'accuracy', ref: 'r.py:f' }]), { name: 'accuracy', because: 'its name' });
    assert.equal(correctnessReward([{ name: 'fmt', ref: 'format' }]), undefined);
    assert.equal(correctnessReward('nonsense'), undefined);
  });

  it('says step, solved count, reward and its change since the first step', () => {
    const latest = promptStats(120, [row(0, 1.5, { correct: 1 }), row(1, 0.5, { correct: 0 }), row(2, 1, { correct: 1 }), row(3, 0, { correct: 0 })], correctness);
    const first = promptStats(20, [row(0, 0.5, { correct: 0 }), row(1, 0.25, { correct: 0 })], correctness);
    assert.equal(latest.solved, 2);
    assert.equal(annotationText(latest, first), 'step 120 · 2/4 solved · reward 0.75 ↑0.38 since step 20');
    assert.equal(annotationText(first, latest), 'step 20 · 0/2 solved · reward 0.38 ↓0.38 since step 120 · ⚠ unsolved');
    assert.equal(annotationText(latest, latest), 'step 120 · 2/4 solved · reward 0.75');
  });

  it('flags prompts with no learning signal and counts reward errors', () => {
    const same = promptStats(7, [row(0, 1, { correct: 1 }), row(1, 1, { correct: 1 }), row(2, null, { correct: null }, 'correct: ValueError: x')], correctness);
    assert.deepEqual(flags(same), { unsolved: false, noSignal: true });
    assert.equal(annotationText(same, undefined), 'step 7 · 2/3 solved · reward 1 · 1 reward error · ⚠ no learning signal (equal rewards)');
    const noCorrectness = promptStats(3, [row(0, 0.2, {}), row(1, 0.4, {})], undefined);
    assert.equal(annotationText(noCorrectness, undefined), 'step 3 · 2 samples · reward 0.3');
  });

  it('gives reward CodeLens numbers: mean, std and the samples whose function failed', () => {
    const rows = [
      row(0, 1, { brittle: 0.2 }),
      row(1, 1, { brittle: 0.6 }),
      row(2, 0, { brittle: null }, 'exact: KeyError: answer\nbrittle: BadRewardValue: nan'),
      row(3, 0, { brittle: null }, 'exact: KeyError: answer'),
    ];
    const { text, errors } = rewardLensText('brittle', rows, 120, 'demo');
    assert.equal(text, 'mean 0.4 · std 0.2 · 1 error at step 120 (run demo)');
    assert.deepEqual(errors.map((r) => r.groupIndex), [2]);
    assert.equal(rewardLensText('other', rows, 5, 'x').text, 'no values · 0 errors at step 5 (run x)');
  });
});

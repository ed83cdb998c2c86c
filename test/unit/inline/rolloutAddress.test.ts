import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressError, formatAddress, parseAddress, type RolloutAddress } from '../../../src/inline/rolloutAddress';

describe('rollout addresses', () => {
  it('round-trips a training rollout and an evaluation sample through the URI query', () => {
    const step: RolloutAddress = { kind: 'step', runDir: '/runs/a b/demo?x=1&y', runName: 'de/mo', step: 120, prompt: 3, sample: 2 };
    const parts = formatAddress(step);
    assert.deepEqual(parseAddress(parts.query), step);
    assert.equal(parts.path, '/de∕mo/step 120 · prompt 3 · sample 2.rollout');
    const evalSample: RolloutAddress = { kind: 'eval', runDir: '/r', runName: 'r', evalId: 'gsm8k', checkpoint: 'checkpoint-40', promptId: 17, sample: 5 };
    assert.deepEqual(parseAddress(formatAddress(evalSample).query), evalSample);
    assert.equal(formatAddress(evalSample).path, '/r/eval gsm8k · checkpoint checkpoint-40 · prompt 17 · sample 5.rollout');
  });

  it('names the missing or malformed field', () => {
    assert.throws(() => parseAddress('step=1&prompt=0&sample=0'), (e: Error) => e instanceof AddressError && /"run"/.test(e.message));
    assert.throws(() => parseAddress('run=%2Fr&step=x&prompt=0&sample=0'), /"step" is 'x'/);
    assert.throws(() => parseAddress('run=%2Fr&step=1&prompt=0'), /"sample" is missing/);
    assert.throws(() => parseAddress('run=%2Fr&eval=e&prompt=0&sample=0'), /"checkpoint"/);
    assert.throws(() => parseAddress('run=%2Fr&eval=e&checkpoint=base&prompt=p-1&sample=0'), /"prompt" is 'p-1'/);
  });
});

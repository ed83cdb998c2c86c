import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeByteLevel, tokenUnits, visibleSegments } from '../../../src/common/tokenUnits';
import { SCALES, binOf, measureValue } from '../../../src/common/colorScale';

describe('token units', () => {
  it('keeps one unit per token when the pieces join to the completion', () => {
    const units = tokenUnits(['Hello', ',', ' world', '\n'], 'Hello, world\n');
    assert.deepEqual(
      units.map((u) => [u.start, u.end, u.text]),
      [
        [0, 1, 'Hello'],
        [1, 2, ','],
        [2, 3, ' world'],
        [3, 4, '\n'],
      ],
    );
  });

  it('merges pieces of a split character so no replacement character appears', () => {
    // "é" split over two byte tokens, each decoded alone to U+FFFD.
    const units = tokenUnits(['caf', '\uFFFD', '\uFFFD', ' ok'], 'café ok');
    assert.deepEqual(
      units.map((u) => [u.start, u.end, u.text]),
      [
        [0, 1, 'caf'],
        [1, 3, 'é'],
        [3, 4, ' ok'],
      ],
    );
    assert.ok(units.every((u) => !u.text.includes('\uFFFD')));
  });

  it('merges empty pieces (incremental decoding) into the next unit', () => {
    const units = tokenUnits(['a', '', '😀', 'b'], 'a😀b');
    assert.deepEqual(
      units.map((u) => [u.start, u.end, u.text]),
      [
        [0, 1, 'a'],
        [1, 3, '😀'],
        [3, 4, 'b'],
      ],
    );
  });

  it('keeps a replacement character the completion really has', () => {
    const units = tokenUnits(['x', '\uFFFD'], 'x\uFFFD');
    assert.equal(units.map((u) => u.text).join(''), 'x\uFFFD');
  });

  it('decodes GPT-2 byte-level pieces', () => {
    // 'é' is bytes C3 A9 → byte-level chars 'Ã' '©'.
    assert.deepEqual(decodeByteLevel(['Hello', 'Ġworld', 'Ċ', 'Ã', '©']), ['Hello', ' world', '\n', '', 'é']);
    const units = tokenUnits(['Hi', 'Ġcaf', 'Ã', '©'], 'Hi café');
    assert.deepEqual(
      units.map((u) => [u.start, u.end, u.text]),
      [
        [0, 1, 'Hi'],
        [1, 2, ' caf'],
        [2, 4, 'é'],
      ],
    );
  });
});

describe('visible text', () => {
  it('marks whitespace and keeps real line breaks', () => {
    assert.deepEqual(visibleSegments('a b\tc\n', true), [
      { text: 'a', kind: 'text' },
      { text: '·', kind: 'ws' },
      { text: 'b', kind: 'text' },
      { text: '→', kind: 'ws' },
      { text: 'c', kind: 'text' },
      { text: '↵\n', kind: 'ws' },
    ]);
    assert.deepEqual(visibleSegments('a b', false), [{ text: 'a b', kind: 'text' }]);
  });

  it('shows control and bidi characters as code points', () => {
    assert.deepEqual(visibleSegments('\u202Eab\u0000', false), [
      { text: '⟨U+202E⟩', kind: 'ctl' },
      { text: 'ab', kind: 'text' },
      { text: '⟨U+0000⟩', kind: 'ctl' },
    ]);
  });
});

describe('colour scales', () => {
  it('bins values by their edges', () => {
    assert.equal(binOf(SCALES.entropy, 0), 0);
    assert.equal(binOf(SCALES.entropy, 0.3), 1);
    assert.equal(binOf(SCALES.entropy, 2.99), 5);
    assert.equal(binOf(SCALES.entropy, 7), 6);
    assert.equal(binOf(SCALES.entropy, Number.NaN), -1);
    assert.equal(binOf(SCALES.advantage, -3), 0);
    assert.equal(binOf(SCALES.advantage, 0), 3);
    assert.equal(binOf(SCALES.advantage, 0.7), 5);
    assert.equal(SCALES.entropy.colors.length, SCALES.entropy.edges.length);
    assert.equal(SCALES.advantage.colors.length, SCALES.advantage.edges.length);
  });

  it('colours advantage only on tokens that received gradient', () => {
    assert.equal(measureValue('advantage', { entropy: 1, logprob: 0, inLoss: true }, 0.5), 0.5);
    assert.ok(Number.isNaN(measureValue('advantage', { entropy: 1, logprob: 0, inLoss: false }, 0.5)));
    assert.equal(measureValue('probability', { entropy: 1, logprob: Math.log(0.25), inLoss: false }, null), 0.25);
  });
});

// The per-prompt matrix's filters, search and sort (webview/compare/matrixModel.ts, pure).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvalView } from '../../../src/webviews/compare/protocol';
import { buildMatrix, countsOf, heatBin, queryRows, type RowQuery } from '../../../webview/compare/matrixModel';

function view(): EvalView {
  const correct: Record<string, number>[] = [
    { base: 2, ck: 0 }, // shrink, regressed
    { base: 0, ck: 3 }, // expansion, improved
    { base: 0, ck: 0 }, // never
    { base: 4, ck: 4 }, // same
    { base: 1, ck: 2 }, // improved
  ];
  return {
    manifest: {
      id: 'e', name: 'e', createdAt: '', updatedAt: '', status: 'completed', endedAt: null, error: null, pid: null, host: null,
      params: { samples: 4, temperature: 1, maxNewTokens: 8, seed: 0, prompts: 5, k: [1, 2, 4] },
      promptSource: '', passWhen: null, rewardNames: [],
      checkpoints: ['base', 'ck', 'pending-one'].map((name) => ({ name, status: name === 'pending-one' ? 'pending' : 'done', samplesDone: 0, samplesTotal: 0, error: null })),
    },
    summary: {
      k: [1, 2, 4],
      checkpoints: { base: {} as never, ck: {} as never },
      prompts: correct.map((c, i) => ({ promptId: i * 10, correct: c, n: { base: 4, ck: 4 } })),
    },
    prompts: [0, 10, 20, 30, 40].map((id) => ({ promptId: id, preview: `What is ${id}?`, answer: id === 30 ? 'forty-two' : null })),
    crossScores: [],
  };
}

const query = (over: Partial<RowQuery>): RowQuery => ({ filter: 'all', search: '', sort: { column: 'prompt', descending: false }, reference: 'base', target: 'ck', ...over });

describe('prompt matrix', () => {
  const matrix = buildMatrix(view());
  const ids = (q: Partial<RowQuery>) => queryRows(matrix, query(q)).map((r) => r.promptId);

  it('has the evaluated checkpoints only, in the manifest order', () => {
    assert.deepEqual(matrix.checkpoints, ['base', 'ck']);
    assert.deepEqual(countsOf(matrix, 'ck').get(10), { c: 3, n: 4 });
  });
  it('filters regressed, improved, boundary shrink and expansion, never solved', () => {
    assert.deepEqual(ids({ filter: 'regressed' }), [0]);
    assert.deepEqual(ids({ filter: 'improved' }), [10, 40]);
    assert.deepEqual(ids({ filter: 'shrink' }), [0]);
    assert.deepEqual(ids({ filter: 'expansion' }), [10]);
    assert.deepEqual(ids({ filter: 'never' }), [20]);
    // Against another reference the same prompts read the other way round.
    assert.deepEqual(ids({ filter: 'shrink', reference: 'ck', target: 'base' }), [10]);
  });
  it('searches prompt text, answers and ids', () => {
    assert.deepEqual(ids({ search: 'WHAT IS 2' }), [20]);
    assert.deepEqual(ids({ search: 'forty' }), [30]);
    assert.deepEqual(ids({ search: '40' }), [40]);
  });
  it('sorts by any column, stable on ties', () => {
    assert.deepEqual(ids({ sort: { column: 'ck', descending: true } }), [30, 10, 40, 0, 20]);
    assert.deepEqual(ids({ sort: { column: 'delta', descending: true } }), [10, 40, 20, 30, 0]);
    assert.deepEqual(ids({ sort: { column: 'text', descending: false } }), [0, 10, 20, 30, 40]);
    assert.deepEqual(ids({ sort: { column: 'prompt', descending: true } }), [40, 30, 20, 10, 0]);
  });
  it('heat bins: none, some, all', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map((c) => heatBin({ c, n: 4 })), [0, 2, 3, 4, 5]);
    assert.equal(heatBin({ c: 1, n: 16 }), 1);
    assert.equal(heatBin({ c: 0, n: 0 }), 0);
  });
});

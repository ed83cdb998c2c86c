// pass@k and the paired statistics against hand-computed values (and exact integer arithmetic).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crossing, meanPassAtK, passAtK, defaultK } from '../../../src/common/passAtK';
import { comparePaired, mcnemarExact, pairedBootstrap, wilson } from '../../../src/common/pairedStats';

/** 1 − C(n−c, k)/C(n, k) with exact big integers, then one division. */
function closedForm(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  const num = choose(n - c, k);
  const den = choose(n, k);
  // 1e18 fixed point keeps 18 digits of the ratio.
  return 1 - Number((num * 10n ** 18n) / den) / 1e18;
}

describe('pass@k', () => {
  it('matches hand-computed values', () => {
    assert.ok(Math.abs(passAtK(5, 2, 1) - 0.4) < 1e-15); // the product form gives 0.3999999999999999, as numpy does
    assert.ok(Math.abs(passAtK(5, 2, 2) - 0.7) < 1e-15); // 1 − C(3,2)/C(5,2) = 1 − 3/10
    assert.ok(Math.abs(passAtK(10, 3, 4) - (1 - 35 / 210)) < 1e-15);
  });
  it('is 0 when nothing is correct, 1 when everything is, 1 when n − c < k', () => {
    assert.equal(passAtK(16, 0, 8), 0);
    assert.equal(passAtK(16, 16, 1), 1);
    assert.equal(passAtK(4, 3, 2), 1); // C(1, 2) = 0
    assert.equal(passAtK(256, 200, 64), 1);
  });
  it('does not overflow for large n and agrees with the exact closed form', () => {
    assert.ok(Math.abs(passAtK(256, 1, 128) - 0.5) < 1e-14); // 1 − (256 − 128)/256
    for (const [n, c, k] of [[256, 100, 64], [256, 7, 32], [256, 3, 256], [1000, 13, 100], [64, 31, 16]]) {
      const value = passAtK(n, c, k);
      assert.ok(Number.isFinite(value));
      assert.ok(Math.abs(value - closedForm(n, c, k)) < 1e-12, `n=${n} c=${c} k=${k}: ${value} vs ${closedForm(n, c, k)}`);
    }
  });
  it('gives bit-identical results to the trainer (rlstudio.evals.passk)', () => {
    const python = join(__dirname, '../../../.venv/bin/python');
    const grid: [number, number, number][] = [];
    for (const n of [1, 5, 16, 64, 256]) for (let c = 0; c <= n; c += Math.max(1, n >> 3)) for (const k of defaultK(n)) grid.push([n, c, k]);
    const out = execFileSync(python, ['-c', 'import json,sys\nfrom rlstudio.evals.passk import pass_at_k\nprint(json.dumps([pass_at_k(*g) for g in json.loads(sys.argv[1])]))', JSON.stringify(grid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const expected = JSON.parse(out) as number[];
    grid.forEach(([n, c, k], i) => assert.equal(passAtK(n, c, k), expected[i], `n=${n} c=${c} k=${k}`));
  });
  it('refuses k > n and impossible counts', () => {
    assert.throws(() => passAtK(4, 1, 8), /1 ≤ k ≤ n/);
    assert.throws(() => passAtK(4, 5, 1), RangeError);
  });
  it('averages over prompts, leaving out prompts with fewer than k samples', () => {
    assert.deepEqual(defaultK(16), [1, 2, 4, 8, 16]);
    assert.deepEqual(defaultK(12), [1, 2, 4, 8, 12]);
    const counts = [{ c: 2, n: 5 }, { c: 0, n: 5 }, { c: 1, n: 1 }];
    assert.ok(Math.abs(meanPassAtK(counts, 1)! - (0.4 + 0 + 1) / 3) < 1e-15);
    assert.ok(Math.abs(meanPassAtK(counts, 2)! - (0.7 + 0) / 2) < 1e-15);
    assert.equal(meanPassAtK(counts, 8), null);
  });
  it('names where one curve overtakes another', () => {
    const ks = [1, 2, 4, 8, 16];
    const base = { name: 'base', values: [0.2, 0.4, 0.6, 0.8, 0.9] };
    const trained = { name: 'checkpoint-200', values: [0.5, 0.55, 0.6, 0.7, 0.72] };
    assert.deepEqual(crossing(ks, base, trained), { leader: 'base', trailer: 'checkpoint-200', atK: 8 });
    assert.deepEqual(crossing(ks, trained, base), { leader: 'base', trailer: 'checkpoint-200', atK: 8 });
    const better = { name: 'checkpoint-300', values: [0.6, 0.7, 0.8, 0.9, 0.95] };
    assert.equal(crossing(ks, base, better), undefined); // always behind: no crossing
    assert.equal(crossing(ks, base, base), undefined);
  });
});

describe('paired statistics', () => {
  it('Wilson interval', () => {
    const w = wilson(8, 10)!;
    assert.ok(Math.abs(w.low - 0.4901624715366418) < 1e-12 && Math.abs(w.high - 0.9433178485456248) < 1e-12);
    const zero = wilson(0, 10)!;
    assert.equal(zero.low, 0);
    assert.ok(Math.abs(zero.high - 0.2775327998628892) < 1e-12);
    assert.equal(wilson(0, 0), null);
  });
  it('exact McNemar p-values', () => {
    assert.equal(mcnemarExact(0, 0), 1);
    assert.ok(Math.abs(mcnemarExact(0, 5) - 0.0625) < 1e-12); // 2 · ½⁵
    assert.ok(Math.abs(mcnemarExact(1, 4) - 0.375) < 1e-12); // 2 · (1 + 5)/32
    assert.equal(mcnemarExact(3, 3), 1);
    assert.ok(Math.abs(mcnemarExact(10, 20) - 0.09873714670538902) < 1e-12);
    assert.ok(Math.abs(mcnemarExact(360, 300) - 0.02157234823197102) < 1e-10); // 660 prompts: 2^-660 would underflow a naive sum
    assert.equal(mcnemarExact(0, 2000), 0);
  });
  it('a seeded paired bootstrap', () => {
    assert.deepEqual(pairedBootstrap([0.25, 0.25, 0.25]), { low: 0.25, high: 0.25 });
    const diffs = Array.from({ length: 200 }, (_, i) => ((i * 37) % 11) / 10 - 0.4);
    const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;
    const ci = pairedBootstrap(diffs, { seed: 7 })!;
    assert.deepEqual(pairedBootstrap(diffs, { seed: 7 }), ci);
    assert.notDeepEqual(pairedBootstrap(diffs, { seed: 8 }), ci);
    assert.ok(ci.low < mean && mean < ci.high);
    // The standard error of the mean is ~0.023 here: a 95 % interval is about ±0.045 wide.
    assert.ok(ci.high - ci.low > 0.06 && ci.high - ci.low < 0.12, `${ci.low} … ${ci.high}`);
    assert.equal(pairedBootstrap([]), null);
  });
  it('discordant prompts and the pass@1 difference of B against A', () => {
    const a = new Map([[0, { c: 2, n: 4 }], [1, { c: 0, n: 4 }], [2, { c: 3, n: 4 }], [3, { c: 0, n: 4 }], [9, { c: 1, n: 4 }]]);
    const b = new Map([[0, { c: 0, n: 4 }], [1, { c: 1, n: 4 }], [2, { c: 4, n: 4 }], [3, { c: 0, n: 4 }]]);
    const r = comparePaired(a, b);
    assert.equal(r.prompts, 4); // prompt 9 has no samples for B
    assert.deepEqual([r.onlyA, r.onlyB, r.both, r.neither], [1, 1, 1, 1]);
    assert.equal(r.mcnemarP, 1);
    assert.equal(r.pass1Diff, 0); // (−0.5 + 0.25 + 0.25 + 0) / 4
  });
});

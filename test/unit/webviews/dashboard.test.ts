import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeAlerts } from '../../../webview/dashboard/alerts';
import { configDiff } from '../../../webview/dashboard/configDiff';
import { Column } from '../../../webview/dashboard/column';
import { appendToRun, smoothRun, smoothedOf, toRunData } from '../../../webview/dashboard/runData';
import { Decimator, bandOf, decimate, ema, emaExtend, emaStep, groupOf, nearestIndex, type EmaState } from '../../../webview/dashboard/series';

/** NaN (missing) as null, for deepEqual against plain arrays. */
const plain = (values: ArrayLike<number>) => Array.from(values, (v) => (Number.isNaN(v) ? null : v));

/** TensorBoard's smoothing written out independently, as the reference. */
function referenceEma(values: number[], w: number): number[] {
  let last = 0;
  const out: number[] = [];
  values.forEach((v, i) => {
    last = last * w + (1 - w) * v;
    out.push(last / (1 - Math.pow(w, i + 1)));
  });
  return out;
}

describe('dashboard series', () => {
  it('smooths like TensorBoard (debiased EMA)', () => {
    const values = [1, 5, 2, 8, 3, 9, 4];
    for (const w of [0, 0.6, 0.95]) {
      const got = ema(values, w);
      referenceEma(values, w).forEach((v, i) => assert.ok(Math.abs((got[i] as number) - v) < 1e-12, `w=${w} i=${i}`));
    }
    assert.equal(ema([1, 5], 0.5)[0], 1); // debiased: the first value is itself
  });

  it('passes non-finite values through and leaves constants alone', () => {
    assert.deepEqual(plain(ema([1, null, 3], 0.5).map((v) => Number(v.toFixed(6)))), [1, null, Number((1.75 / 0.75).toFixed(6))]);
    assert.deepEqual(plain(ema(new Float64Array([1, NaN, 3]), 0.5)).slice(0, 2), [1, null]);
    assert.deepEqual(plain(ema([2, 2, 2], 0.9)), [2, 2, 2]);
  });

  it('decimates keeping extremes and both ends', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 4321 ? 1000 : x === 777 ? -1000 : Math.sin(x)));
    const points = decimate(xs, ys, 100);
    assert.ok(points.length <= 400);
    assert.ok(points.some((p) => p.x === 4321 && p.y === 1000));
    assert.ok(points.some((p) => p.x === 777 && p.y === -1000));
    assert.equal(points[0].x, 0);
    assert.equal(points.at(-1)!.x, 9999);
    const zoomed = decimate(xs, ys, 100, 100, 200);
    assert.ok(zoomed[0].x === 99 && zoomed.at(-1)!.x === 201);
  });

  it('continues the EMA over appended values exactly like emaStep', () => {
    const values = [1, 5, null, 2, Number.NaN, 8, 3, 9, 4];
    for (const w of [0, 0.6, 1]) {
      const stepped: EmaState = { last: 0, power: 1 };
      const expected = values.map((v) => emaStep(stepped, v, w)).map((v) => (v === null || Number.isNaN(v) ? null : v));
      const state: EmaState = { last: 0, power: 1 };
      const out = new Column();
      emaExtend(state, values.slice(0, 4), w, out);
      emaExtend(state, values.slice(4), w, out);
      assert.deepEqual(plain(out.values), expected, `w=${w}`);
      assert.deepEqual(state, stepped);
    }
  });

  it('lets the debiasing term reach 0 instead of sinking into subnormal numbers (10x slower arithmetic)', () => {
    const state: EmaState = { last: 0, power: 1 };
    const values = Array.from({ length: 3000 }, (_, i) => Math.sin(i));
    const out = new Column();
    emaExtend(state, values, 0.6, out);
    assert.equal(state.power, 0); // was 5e-324: 0.6 × the smallest subnormal rounds back to it
    const stepped: EmaState = { last: 0, power: 1 };
    values.forEach((v) => emaStep(stepped, v, 0.6));
    assert.equal(stepped.power, 0);
    // Unchanged results: 1 − power is exactly 1 long before.
    referenceEma(values, 0.6).forEach((v, i) => assert.ok(Math.abs(out.values[i] - v) < 1e-9, `i=${i}`));
  });

  it('leaves a live series that is constant so far exactly as is, like TensorBoard', () => {
    const state: EmaState = { last: 0, power: 1 };
    const out = new Column();
    const constant = [0.1, 0.1, null, 0.1, 0.1, 0.1, 0.1];
    emaExtend(state, constant, 0.6, out);
    assert.deepEqual(plain(out.values), constant); // no float noise such as 0.10000000000000002
    emaExtend(state, [0.5], 0.6, out);
    const reference = ema([...constant, 0.5], 0.6);
    assert.ok(Math.abs(out.values[7] - reference[7]) < 1e-9, `${out.values[7]} vs ${reference[7]}`);
  });

  it('decimates a growing series incrementally, keeping extremes and both ends', () => {
    const xs = new Column();
    const ys = new Column();
    const grow = (to: number) => {
      for (let x = xs.length; x < to; x++) {
        xs.push(x);
        ys.push(x === 4321 ? 1000 : x === 777 ? -1000 : x % 101 === 37 ? null : Math.sin(x));
      }
    };
    grow(300);
    const decimator = new Decimator(xs, ys, 100);
    // Small: every finite point, as decimate() draws it.
    assert.deepEqual(decimator.points(), decimate(xs.values, ys.values, 100));
    for (const to of [5_000, 5_001, 12_345, 40_000]) {
      grow(to);
      const points = decimator.points();
      // 100 to 200 buckets of at most 4 points.
      assert.ok(points.length <= 800, `${points.length} points for ${to}`);
      assert.ok(points.length >= 200, `${points.length} points for ${to}`);
      assert.ok(points.some((p) => p.x === 4321 && p.y === 1000));
      assert.ok(points.some((p) => p.x === 777 && p.y === -1000));
      assert.equal(points[0].x, 0);
      assert.equal(points.at(-1)!.x, to - 1);
      for (let i = 1; i < points.length; i++) assert.ok(points[i].x > points[i - 1].x);
      const values = ys.values;
      assert.ok(points.every((p) => p.y === values[p.x] && Number.isFinite(p.y)));
      // Every value is matched by a drawn value at least as high and one at least as low within
      // one bucket's width (at most range / buckets): no peak or trough is lost.
      const reach = to / 100 + 1;
      for (let i = 0; i < to; i++) {
        const y = values[i];
        if (Number.isNaN(y)) continue;
        const near = points.filter((p) => Math.abs(p.x - i) <= reach);
        assert.ok(near.some((p) => p.y >= y) && near.some((p) => p.y <= y), `value at ${i} lost (${to} points)`);
      }
    }
    // A spike anywhere (here one the decimator is built after) is drawn.
    ys.values[30_000] = 5000;
    const fresh = new Decimator(xs, ys, 100).points();
    assert.ok(fresh.some((p) => p.x === 30_000 && p.y === 5000));
    assert.equal(decimator.follows(xs, ys, 100), true);
    assert.equal(decimator.follows(xs, Column.of(ys.values), 100), false);
    assert.equal(decimator.follows(xs, ys, 120), false);
  });

  it('sizes its buckets from the series once it has a range (a live run starting from one row)', () => {
    const xs = Column.of([0]);
    const ys = Column.of([1]);
    const decimator = new Decimator(xs, ys, 100);
    assert.deepEqual(decimator.points(), [{ x: 0, y: 1 }]);
    for (let i = 1; i < 3000; i++) {
      xs.push(i / 100); // x in small units: 30 in all
      ys.push(Math.sin(i));
    }
    const points = decimator.points();
    assert.ok(points.length >= 200 && points.length <= 800, `${points.length} points`);
  });

  it('grows a column in place, padding with NaN, adopting a Float64Array without a copy', () => {
    const adopted = new Float64Array([1, 2]);
    const column = new Column(adopted);
    assert.equal(column.values.buffer, adopted.buffer);
    column.push(null);
    column.pushAll([4, null]);
    column.pushAll(new Float64Array([6]));
    column.padTo(8);
    assert.deepEqual(plain(column.values), [1, 2, null, 4, null, 6, null, null]);
    assert.deepEqual(plain(adopted), [1, 2]);
    const big = Column.withCapacity(4);
    for (let i = 0; i < 100_000; i++) big.push(i);
    assert.equal(big.length, 100_000);
    assert.equal(big.values[99_999], 99_999);
  });

  it('smooths a run lazily and continues the EMA over live appends, metrics new or missing included', () => {
    const metrics = { reward: new Float64Array([1, 5, 2, 8]), loss: new Float64Array([4, 3, 2, 1]) };
    const run = smoothRun(toRunData({ runId: 'a', name: 'a', status: 'running', steps: new Float64Array([1, 2, 3, 4]), times: new Float64Array(4), metrics, recordedSteps: [], config: {}, nonFinite: {} }, 'red'), 0.6);
    assert.deepEqual([...run.smoothed.keys()], []); // nothing smoothed until a chart asks
    const reward = smoothedOf(run, 'reward');
    const f64 = (v: number[]) => new Float64Array(v);
    appendToRun(run, { runId: 'a', from: 4, steps: f64([5, 6]), times: f64([0, 0]), metrics: { reward: f64([3, 9]), kl: f64([0.1, 0.2]) }, nonFinite: {} });
    assert.equal(smoothedOf(run, 'reward'), reward); // the same column, grown in place
    assert.deepEqual(plain(reward.values), plain(ema([1, 5, 2, 8, 3, 9], 0.6)));
    assert.deepEqual(plain(smoothedOf(run, 'loss').values), plain(ema([4, 3, 2, 1, null, null], 0.6)));
    assert.deepEqual(plain(smoothedOf(run, 'kl').values), plain(ema([null, null, null, null, 0.1, 0.2], 0.6)));
  });

  it('finds the nearest x', () => {
    assert.equal(nearestIndex([1, 3, 10], 6), 1);
    assert.equal(nearestIndex([1, 3, 10], 7), 2);
    assert.equal(nearestIndex([], 7), -1);
  });

  it('groups metric names, unknown ones in Other', () => {
    assert.equal(groupOf('rewards/accuracy/mean'), 'Reward');
    assert.equal(groupOf('clip_ratio/region_mean'), 'Policy');
    assert.equal(groupOf('completions/max_length'), 'Completions');
    assert.equal(groupOf('selection/estimate_p50'), 'Selection');
    assert.equal(groupOf('grad_norm'), 'Optimization');
    assert.equal(groupOf('rlstudio/tokens_per_s'), 'Throughput');
    assert.equal(groupOf('my_custom_thing'), 'Other');
    assert.equal(groupOf('rewards/margins'), 'Preference');
    assert.equal(groupOf('logps/chosen'), 'Preference');
    assert.equal(groupOf('rewards/chosen/mean'), 'Reward'); // a GRPO reward function named chosen
    assert.equal(bandOf('reward_std'), 'reward');
    assert.equal(bandOf('rewards/fmt/std'), 'rewards/fmt/mean');
  });
});

describe('dashboard alerts', () => {
  const steps = Array.from({ length: 20 }, (_, i) => (i + 1) * 2);
  const series = (metrics: Record<string, (number | null)[]>, nonFinite: Record<string, number[]> = {}) => ({
    runId: 'a',
    steps,
    metrics: new Map(Object.entries(metrics)),
    nonFinite: new Map(Object.entries(nonFinite)),
  });

  it('says nothing of a missing value: null tokens_per_s on the first line after a resume (issue 14, item 14)', () => {
    const alerts = computeAlerts(series({ 'rlstudio/tokens_per_s': steps.map((_, i) => (i === 0 || i === 10 ? null : 900)) }));
    assert.deepEqual(alerts, []);
  });

  it('flags entropy collapse at the step it began', () => {
    const entropy = steps.map((_, i) => (i < 12 ? 1.0 : 0.1));
    const alerts = computeAlerts(series({ entropy }));
    assert.deepEqual(alerts.map((a) => [a.kind, a.step]), [['entropy-collapse', 26]]);
  });

  it('flags no learning signal, non-finite values and the length limit', () => {
    const alerts = computeAlerts(
      series(
        {
          frac_reward_zero_std: steps.map((_, i) => (i === 3 ? 0.75 : 0.1)),
          loss: steps.map((_, i) => (i === 7 ? null : 0.5)),
          'completions/clipped_ratio': steps.map((_, i) => (i >= 9 ? 0.5 : 0)),
        },
        { loss: [7] },
      ),
    );
    assert.deepEqual(
      alerts.map((a) => [a.kind, a.step]),
      [
        ['no-signal', 8],
        ['non-finite', 16],
        ['length-limit', 20],
      ],
    );
  });

  it('flags reward rising while length explodes, not length alone', () => {
    const length = steps.map((_, i) => (i < 10 ? 100 : 100 + 50 * (i - 9)));
    const rising = computeAlerts(series({ reward: steps.map((_, i) => i / 20), 'completions/mean_length': length }));
    assert.deepEqual(rising.map((a) => [a.kind, a.step]), [['length-explosion', 26]]);
    const flat = computeAlerts(series({ reward: steps.map(() => 0.5), 'completions/mean_length': length }));
    assert.equal(flat.length, 0);
  });

  it('flags DPO chosen log-probability falling while the margin rises, not the healthy case', () => {
    const margins = steps.map((_, i) => i * 0.1);
    const falling = steps.map((_, i) => (i < 8 ? -20 : -20 - (i - 7)));
    const alerts = computeAlerts(series({ 'logps/chosen': falling, 'rewards/margins': margins }));
    // windows of 5: at index 10 the last five chosen values average -21.2 (< -20 - 1) and the margins rose
    assert.deepEqual(alerts.map((a) => [a.kind, a.step]), [['likelihood-drop', 22]]);
    assert.match(alerts[0].message, /Chosen log-probability falls \(-20 → -21.2\) while the margin rises/);
    const healthy = computeAlerts(series({ 'logps/chosen': steps.map((_, i) => -20 + i * 0.1), 'rewards/margins': margins }));
    assert.equal(healthy.length, 0);
  });
});

describe('config diff', () => {
  it('keeps only differing keys', () => {
    const rows = configDiff([
      { model: { name: 'a' }, training: { lr: 1e-5, steps: 10 } },
      { model: { name: 'a' }, training: { lr: 3e-5, steps: 10 }, extra: true },
    ]);
    assert.deepEqual(rows, [
      { key: 'extra', values: [undefined, 'true'] },
      { key: 'training.lr', values: ['0.00001', '0.00003'] },
    ]);
  });
});

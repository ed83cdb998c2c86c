// The Reward Lab app in headless Chromium: hostile text stays text, the table sorts and filters,
// failures link to their frames, commands reach the host.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabSavedState, LabState } from '../../src/webviews/rewardLab/protocol';
import { openApp, type App } from './harness';

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>&amp;\u202e';

function state(): LabState {
  return {
    source: { kind: 'run', runDir: '/w/.rlstudio/runs/r1', runName: 'r1', step: 4, steps: [2, 4] },
    functions: [
      { name: 'exact', ref: 'exact_answer', weight: 1, origin: 'run', enabled: true },
      { name: 'mine', ref: '/w/rewards.py:mine', weight: 0.5, origin: 'workspace', enabled: true },
    ],
    builtins: ['exact_answer', 'format', 'length_penalty', 'rlcr'],
    samples: [
      { prompt: `p0 ${HOSTILE}`, completion: `c0 ${HOSTILE}`, recordedTotal: 1, recorded: { exact: 1 } },
      { prompt: 'p1', completion: 'c1', recordedTotal: 1, recorded: { exact: 1 } },
      { prompt: 'p2', completion: 'needle here', recordedTotal: 0, recorded: { exact: 0 } },
    ],
    result: {
      functions: ['exact', 'mine'],
      scores: { exact: [1, 0, 0], mine: [0.5, null, 2] },
      total: [1.25, 0, 1],
      failures: [
        {
          function: 'mine',
          indices: [1],
          error: { type: 'ZeroDivisionError', message: HOSTILE, traceback: '' },
          frames: [{ file: '/w/rewards.py', line: 12, function: 'mine' }],
          others: [],
        },
      ],
      histograms: { exact: { min: 0, max: 1, counts: [2, 0, 1] }, mine: { min: 0.5, max: 2, counts: [1, 1] } },
      correlations: [[1, 0.5], [0.5, 1]],
      vsPrevious: { summary: 'Against the previous run: lowers 1 of 3.', lowered: [1], raised: [], nowFailing: [] },
      vsRecorded: { summary: 'Against the rewards recorded during training: lowers 1 of 3.', lowered: [1], raised: [2], nowFailing: [] },
      reason: 'save',
      ranAt: '2026-11-28T00:00:00Z',
    },
    running: false,
    progress: null,
    warnings: [`1 of 3 rollouts matched no dataset row ${HOSTILE}`],
    error: `worker said ${HOSTILE}`,
  };
}

async function open(): Promise<App> {
  const app = await openApp('rewardLab');
  await app.waitForPosted((m) => m.kind === 'ready');
  await app.sendToApp({ kind: 'notification', method: 'lab/state', params: state() });
  await app.page.locator('table.samples tbody tr').first().waitFor();
  return app;
}

test('hostile rollout text, errors and warnings render as text only', async () => {
  const app = await open();
  const page = app.page;
  assert.equal(await page.locator('#app img, #app script').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('tr[data-index="0"] td.prompt').textContent(), `p0 ${HOSTILE}`);
  assert.equal(await page.locator('.failure .message').textContent(), `ZeroDivisionError: ${HOSTILE}`);
  assert.match((await page.locator('.error-banner').textContent()) ?? '', /worker said <img/);
  assert.deepEqual(await app.cspViolations(), []);
  // Chromium's own /favicon.ico request 404s in the harness; any other error fails the test.
  assert.deepEqual(app.errors.filter((e) => !e.startsWith('Failed to load resource')), []);
  await app.screenshot('rewardLab-dark');
  await app.close();
});

test('scores, totals, failures, diff summaries, histograms and correlations are shown', async () => {
  const app = await open();
  const page = app.page;
  assert.equal(await page.locator('tr[data-index="0"] td.total').textContent(), '1.25');
  assert.equal(await page.locator('tr[data-index="1"] td[data-fn="mine"]').textContent(), 'error');
  assert.equal(await page.locator('tr[data-index="1"]').getAttribute('class'), 'lowered');
  assert.equal(await page.locator('#diff-previous').textContent(), 'Against the previous run: lowers 1 of 3. show them');
  assert.equal(await page.locator('.chart[data-fn="exact"] .bar').count(), 3);
  assert.equal(await page.locator('table.correlations td').count(), 4);
  await app.close();
});

test("one function failing on many samples is one block, its other errors folded, other functions' blocks visible (issue 14, item 15)", async () => {
  const app = await openApp('rewardLab');
  await app.waitForPosted((m) => m.kind === 'ready');
  const base = state();
  const many = Array.from({ length: 40 }, (_, i) => ({ indices: [i + 1], error: { type: 'KeyError', message: `'answer' (sample ${i + 1})`, traceback: '' } }));
  const failures = [
    { function: 'exact', indices: Array.from({ length: 41 }, (_, i) => i), error: { type: 'KeyError', message: "'answer' (sample 0)", traceback: '' }, frames: [], others: many },
    { function: 'mine', indices: [1], error: { type: 'ZeroDivisionError', message: 'division by zero', traceback: '' }, frames: [{ file: '/w/rewards.py', line: 12, function: 'mine' }], others: [] },
  ];
  await app.sendToApp({ kind: 'notification', method: 'lab/state', params: { ...base, result: { ...base.result!, failures } } });
  await app.page.locator('.failure').first().waitFor();
  assert.deepEqual(await app.page.$$eval('.failure', (els) => els.map((e) => [(e as HTMLElement).dataset.fn, (e as HTMLElement).dataset.count])), [['exact', '41'], ['mine', '1']]);
  assert.equal(await app.page.locator('.failure[data-fn="exact"] > div').first().textContent(), 'exact failed on 41 samples');
  assert.equal(await app.page.locator('.failure[data-fn="exact"] details.others summary').textContent(), '40 more errors');
  assert.equal(await app.page.locator('.failure[data-fn="exact"] details.others li').first().isVisible(), false, 'folded until expanded');
  await app.page.locator('.failure[data-fn="exact"] details.others summary').click();
  assert.equal(await app.page.locator('.failure[data-fn="exact"] details.others li').count(), 40);
  assert.equal(await app.page.locator('.failure[data-fn="mine"] .message').textContent(), 'ZeroDivisionError: division by zero');
  await app.close();
});

test('sorting and filtering the table; the view survives a reload', async () => {
  let app = await open();
  const order = () => app.page.locator('table.samples tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-index')));
  await app.page.click('th[data-key="total"]');
  assert.deepEqual(await order(), ['0', '2', '1']); // descending first
  await app.page.click('th[data-key="total"]');
  assert.deepEqual(await order(), ['1', '2', '0']);
  await app.page.selectOption('#filter-rows', 'failed');
  assert.deepEqual(await order(), ['1']);
  await app.page.selectOption('#filter-rows', 'all');
  await app.page.fill('#filter-text', 'NEEDLE');
  await app.page.press('#filter-text', 'Enter');
  assert.deepEqual(await order(), ['2']);
  await app.page.click('#diff-recorded button');
  assert.deepEqual(await order(), [], 'the text filter still applies: the lowered rollout does not match it');
  await app.page.fill('#filter-text', '');
  await app.page.press('#filter-text', 'Enter');
  assert.deepEqual(await order(), ['1']);
  // What the host restores after a window reload: the functions, the sample source, the table's view.
  const { functions, source } = state();
  assert.deepEqual(await app.state(), { functions, source, view: { sortKey: 'total', descending: false, text: '', filter: 'lowered-recorded' } });
  app = await app.reopen();
  await app.waitForPosted((m) => m.kind === 'ready');
  await app.sendToApp({ kind: 'notification', method: 'lab/state', params: state() });
  await app.page.locator('table.samples').waitFor();
  assert.equal(await app.page.locator('.count').textContent(), '1 of 3 samples');
  await app.close();
});

test('commands: run, toggle, add built-in, change step, open a traceback frame', async () => {
  const app = await open();
  const page = app.page;
  await page.click('#run');
  await app.waitForPosted((m) => m.method === 'lab/run');
  await page.click('.failure .frame');
  const frame = await app.waitForPosted((m) => m.method === 'lab/openFrame');
  assert.deepEqual(frame.params, { file: '/w/rewards.py', line: 12 });
  await page.uncheck('input[data-fn="mine"]');
  assert.deepEqual((await app.waitForPosted((m) => m.method === 'lab/toggleFunction')).params, { name: 'mine', enabled: false });
  await page.selectOption('#add-builtin', 'rlcr');
  assert.deepEqual((await app.waitForPosted((m) => m.method === 'lab/addBuiltin')).params, { name: 'rlcr' });
  await page.selectOption('#step', '2');
  assert.deepEqual((await app.waitForPosted((m) => m.method === 'lab/setStep')).params, { step: 2 });
  await app.close();
});

test('typed samples are sent as they were typed', async () => {
  const app = await open();
  const typed = { kind: 'text', samples: [{ prompt: 'p', completion: 'c', answer: '' }] } as const;
  await app.sendToApp({ kind: 'notification', method: 'lab/state', params: { ...state(), source: typed, result: null } });
  await app.page.locator('#typed-prompt').waitFor();
  await app.page.fill('#typed-prompt', HOSTILE);
  await app.page.fill('#typed-completion', '<answer>4</answer>');
  await app.page.fill('#typed-answer', '4');
  await app.page.click('#typed-add');
  const sent = await app.waitForPosted((m) => m.method === 'lab/setText');
  assert.deepEqual(sent.params, { prompt: HOSTILE, completion: '<answer>4</answer>', answer: '4' });
  assert.deepEqual(((await app.state()) as LabSavedState).source, typed, 'typed samples are saved whole');
  await app.close();
});

test('an ONNX reward is listed as one, with its folder and its scores and failure like any function (issue 12)', async () => {
  const app = await openApp('rewardLab');
  await app.waitForPosted((m) => m.kind === 'ready');
  const base = state();
  const rm = { name: 'rm', ref: `onnx:/w/rm ${HOSTILE}`, onnx: `/w/rm ${HOSTILE}`, weight: 2, origin: 'run' as const, enabled: true };
  const result = {
    ...base.result!,
    functions: ['exact', 'mine', 'rm'],
    scores: { ...base.result!.scores, rm: [0.25, -1.5, null] },
    failures: [{ function: 'rm', indices: [2], error: { type: 'ValueError', message: 'ONNX reward rm returned NaN (need a finite number)', traceback: '' }, frames: [], others: [] }],
    histograms: { ...base.result!.histograms, rm: { min: -1.5, max: 0.25, counts: [1, 1] } },
    correlations: [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]],
  };
  await app.sendToApp({ kind: 'notification', method: 'lab/state', params: { ...base, functions: [...base.functions, rm], result } });
  const label = app.page.locator('.functions label.onnx');
  await label.waitFor();
  assert.equal(await label.locator('.kind').textContent(), 'ONNX');
  assert.equal(await label.locator('.ref').textContent(), `/w/rm ${HOSTILE}`);
  assert.match((await label.getAttribute('title')) ?? '', /^ONNX reward model/);
  assert.equal(await app.page.locator('.functions label:not(.onnx) .kind').count(), 0, 'Python functions carry no ONNX tag');
  assert.deepEqual(await app.page.locator('table.samples tbody td[data-fn="rm"]').allTextContents(), ['0.25', '-1.5', 'error']);
  assert.equal(await app.page.locator('.failure[data-fn="rm"] .message').textContent(), 'ValueError: ONNX reward rm returned NaN (need a finite number)');
  assert.equal(await app.page.locator('#app img, #app script').count(), 0);
  await label.locator('input').uncheck();
  assert.deepEqual((await app.waitForPosted((m) => m.method === 'lab/toggleFunction')).params, { name: 'rm', enabled: false });
  await app.close();
});

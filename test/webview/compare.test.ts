// The Compare Checkpoints app's real bundle in headless Chromium, fed by the real host code
// (buildSnapshot, readPromptDetail) over eval folders written by test/unit/evals/write_eval.py:
// curves with the crossing named, the summary table, the virtualised matrix with its filters, search,
// sort and keyboard, samples side by side with token heatmaps and Δlogprob, hostile text kept inert,
// a strict CSP without violations in every theme, and the state restored after a reload.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { EvalSampleReader } from '../../src/evals/evalReader';
import { buildSnapshot, readPromptDetail, type BuiltSnapshot } from '../../src/webviews/compare/compareSnapshot';
import { DEFAULT_COMPARE_STATE, type CompareInit, type CompareState } from '../../src/webviews/compare/protocol';
import { THEMES, openApp, serveRequests, type Theme } from './harness';

const ROOT = join(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv/bin/python');
const WRITE_EVAL = join(ROOT, 'test/unit/evals/write_eval.py');
const EVAL_ID = '20261129-220000-compare';
const CHECKPOINTS = ['base', 'checkpoint-3', 'checkpoint-6'];

async function openCompare(built: BuiltSnapshot, runDir: string, options: { state?: Partial<CompareState>; saved?: unknown; theme?: Theme } = {}) {
  const init: CompareInit = { state: { ...DEFAULT_COMPARE_STATE, runId: 'run-a', runDir, ...options.state }, snapshot: built.snapshot };
  const json = JSON.stringify(init).replace(/</g, '\\u003c');
  const app = await openApp('compare', {
    theme: options.theme,
    initialState: options.saved,
    viewport: { width: 1400, height: 1000 },
    bodyHtml: `<div id="app"></div><script type="application/json" id="initial-state">${json}</script>`,
  });
  const reader = new EvalSampleReader();
  const server = serveRequests(app, { 'compare/prompt/get': (p) => readPromptDetail(reader, runDir, built, p.promptId as number) });
  return {
    app,
    async close() {
      await server.stop();
      await app.close();
    },
  };
}

describe('compare checkpoints app', () => {
  let runDir: string;
  let built: BuiltSnapshot;
  before(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'rlstudio-compare-'));
    execFileSync(PYTHON, [WRITE_EVAL, runDir, EVAL_ID, '--prompts', '60', '--samples', '8', '--checkpoints', CHECKPOINTS.join(','), '--cross']);
    built = await buildSnapshot({ runId: 'run-a', runName: 'run a', runDir, evalId: null, trusted: true });
  });

  for (const theme of THEMES) {
    it(`renders curves, crossing, summary and matrix without CSP violations (${theme})`, async () => {
      const { app, close } = await openCompare(built, runDir, { theme });
      try {
        const page = app.page;
        await page.locator('.mrow[data-prompt]').first().waitFor();
        // The sharpened checkpoint wins at pass@1, the base model at large k.
        const crossings = await page.locator('.crossings li').allTextContents();
        assert.ok(crossings.some((t) => /^base overtakes checkpoint-6 at k ≥ \d+$/.test(t)), crossings.join(' | '));
        assert.equal(await page.locator('.curves canvas').count(), 1);
        assert.match((await page.locator('.curves canvas').getAttribute('aria-label')) ?? '', /pass@k for k = 1, 2, 4, 8/);
        const rows = await page.locator('table.summary tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-checkpoint')));
        assert.deepEqual(rows, CHECKPOINTS);
        const pass1 = built.snapshot.view!.summary!.checkpoints['checkpoint-6'].passAtK['1'];
        assert.equal(await page.locator('tr[data-checkpoint="checkpoint-6"] td').first().textContent(), `${(pass1 * 100).toFixed(1)}%`);
        assert.match((await page.locator('tr[data-checkpoint="checkpoint-6"]').textContent()) ?? '', /\[[+−]\d+\.\d, [+−]\d+\.\d\]/);
        // Virtualised: 60 prompts, far fewer rows in the DOM than that at 480 px.
        const drawn = await page.locator('.mbody .mrow').count();
        assert.ok(drawn > 10 && drawn < 60, `${drawn} rows drawn`);
        assert.equal(await page.locator('.rowcount, .toolbar span.muted').first().textContent(), '60 of 60 prompts');
        const heat = await app.computedStyle('.cell:not(.heat-0):not(.heat-none)', 'background-color');
        assert.notEqual(heat, 'rgba(0, 0, 0, 0)');
        await app.screenshot(`compare-${theme}`);
        assert.deepEqual(app.errors, []);
        assert.deepEqual(await app.cspViolations(), []);
      } finally {
        await close();
      }
    });
  }

  it('filters, searches and sorts the matrix', async () => {
    const { app, close } = await openCompare(built, runDir);
    try {
      const page = app.page;
      await page.locator('.mrow[data-prompt]').first().waitFor();
      const counts = (id: number, name: string) => {
        const p = built.snapshot.view!.summary!.prompts.find((x) => x.promptId === id)!;
        return p.correct[name];
      };
      const ids = built.snapshot.view!.summary!.prompts.map((p) => p.promptId);
      // Compared checkpoint defaults to the last one, the reference to base.
      const shrink = ids.filter((id) => counts(id, 'base') > 0 && counts(id, 'checkpoint-6') === 0);
      assert.ok(shrink.length > 0);
      await page.selectOption('select[aria-label="Filter prompts"]', 'shrink');
      const shown = await page.locator('.mbody .mrow').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-prompt'))));
      assert.deepEqual(shown, shrink.slice(0, shown.length));
      assert.equal(await page.locator('.toolbar span.muted').first().textContent(), `${shrink.length} of 60 prompts`);
      const expansion = ids.filter((id) => counts(id, 'base') === 0 && counts(id, 'checkpoint-6') > 0);
      await page.selectOption('select[aria-label="Filter prompts"]', 'expansion');
      assert.equal(await page.locator('.toolbar span.muted').first().textContent(), `${expansion.length} of 60 prompts`);
      await page.selectOption('select[aria-label="Filter prompts"]', 'never');
      const never = ids.filter((id) => CHECKPOINTS.every((c) => counts(id, c) === 0));
      assert.equal(await page.locator('.toolbar span.muted').first().textContent(), `${never.length} of 60 prompts`);
      await page.selectOption('select[aria-label="Filter prompts"]', 'all');
      await page.fill('input[aria-label="Search prompts"]', 'what is 59 +');
      assert.deepEqual(await page.locator('.mbody .mrow').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-prompt'))), ['59']);
      await page.fill('input[aria-label="Search prompts"]', '');
      await page.click('button[data-sort="checkpoint-3"]'); // descending first
      const top = Number(await page.locator('.mbody .mrow').first().getAttribute('data-prompt'));
      assert.equal(counts(top, 'checkpoint-3'), Math.max(...ids.map((id) => counts(id, 'checkpoint-3'))));
      assert.equal(await page.locator('[role=columnheader][aria-sort="descending"] button').textContent(), 'checkpoint-3 ▼');
      assert.deepEqual(app.errors, []);
    } finally {
      await close();
    }
  });

  it('opens a prompt side by side: samples per checkpoint, correct ones marked, tokens coloured, Δlogprob', async () => {
    const { app, close } = await openCompare(built, runDir);
    try {
      const page = app.page;
      await page.locator('.mbody .mrow[data-prompt="3"]').click();
      await page.locator('.samples .column').first().waitFor();
      assert.deepEqual(await page.locator('.samples .column').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-checkpoint'))), CHECKPOINTS);
      const p3 = built.snapshot.view!.summary!.prompts.find((p) => p.promptId === 3)!;
      for (const name of CHECKPOINTS) {
        const column = page.locator(`.samples .column[data-checkpoint="${name}"]`);
        assert.equal(await column.locator('h4 .muted').textContent(), `${p3.correct[name]}/8 correct`);
        assert.equal(await column.locator('.sample.correct').count(), p3.correct[name]);
        assert.equal(await column.locator('.sample').count(), 8);
      }
      const token = page.locator('.samples .column[data-checkpoint="base"] .sample .tok').first();
      assert.notEqual(await token.evaluate((t) => getComputedStyle(t).backgroundColor), 'rgba(0, 0, 0, 0)');
      // Hostile prompt text stays text.
      assert.match((await page.locator('.samples pre.prompt').textContent()) ?? '', /<script>alert\(3\)<\/script>/);
      assert.equal(await page.locator('#app script').count(), 0);
      // Δlogprob: checkpoint-6's samples are scored by base (write_eval.py --cross); the others have no cross-scores.
      await page.selectOption('select[aria-label="Token colour"]', 'deltaLogprob');
      await page.locator('.samples .column[data-checkpoint="checkpoint-6"] p.muted').waitFor();
      assert.equal(await page.locator('.samples .column[data-checkpoint="checkpoint-6"] p.muted').textContent(), 'Δlogprob = log p(base) − log p(checkpoint-6)');
      const bins = await page.locator('.samples .column[data-checkpoint="checkpoint-6"] .tok').evaluateAll((ts) => ts.map((t) => Number(t.getAttribute('data-bin'))));
      assert.ok(bins.every((b) => b >= 0) && new Set(bins).size > 1, bins.join(','));
      assert.match((await page.locator('.samples .column[data-checkpoint="base"] p.muted').textContent()) ?? '', /No cross-scores of base/);
      assert.ok((await page.locator('.samples .column[data-checkpoint="base"] .tok[data-bin="-1"]').count()) > 0);
      await page.locator('.samples .column[data-checkpoint="base"] button.score').click();
      const score = await app.waitForPosted((m) => m.method === 'compare/eval/score');
      assert.deepEqual(score.params, { evalId: EVAL_ID, checkpoint: 'base', scorer: 'checkpoint-6' });
      // "Open in Editor" on a sample card asks the host for that sample as a rollout document.
      assert.equal(await page.locator('.samples .sample .open-editor').count(), 8 * CHECKPOINTS.length);
      await page.getByRole('button', { name: 'Open sample 5 of checkpoint-3 in the editor' }).click();
      const open = await app.waitForPosted((m) => m.method === 'compare/sample/open');
      assert.deepEqual(open.params, { evalId: EVAL_ID, checkpoint: 'checkpoint-3', promptId: 3, sample: 5 });
      assert.deepEqual(app.errors, []);
      assert.deepEqual(await app.cspViolations(), []);
    } finally {
      await close();
    }
  });

  it('works from the keyboard and comes back after a reload with the same filter, reference and prompt', async () => {
    const { app, close } = await openCompare(built, runDir);
    let reopened: Awaited<ReturnType<typeof openCompare>> | undefined;
    try {
      const page = app.page;
      await page.locator('.mrow[data-prompt]').first().waitFor();
      await page.selectOption('select[aria-label="Reference checkpoint"]', 'checkpoint-3');
      assert.equal(await page.locator('table.summary tr.reference').getAttribute('data-checkpoint'), 'checkpoint-3');
      await page.locator('.mscroll').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const request = await app.waitForPosted((m) => m.method === 'compare/prompt/get');
      assert.deepEqual((request.params as { promptId: number }).promptId, 2);
      await page.locator('.samples .column').first().waitFor();
      const saved = (await app.state()) as CompareState;
      assert.equal(saved.promptId, 2);
      assert.equal(saved.reference, 'checkpoint-3');
      await close();
      reopened = await openCompare(built, runDir, { saved });
      const again = reopened.app.page;
      await again.locator('.samples .column').first().waitFor();
      assert.equal(await again.locator('.samples h3').textContent(), 'Prompt 2');
      assert.equal(await again.locator('table.summary tr.reference').getAttribute('data-checkpoint'), 'checkpoint-3');
      assert.equal(await again.locator('.mbody .mrow.selected').getAttribute('data-prompt'), '2');
    } finally {
      await (reopened ?? { close }).close().catch(() => undefined);
    }
  });

  it('says when the run was deleted, and shows an eval still running before its first checkpoint', async () => {
    const gone = mkdtempSync(join(tmpdir(), 'rlstudio-compare-gone-'));
    execFileSync(PYTHON, [WRITE_EVAL, gone, '20261129-230000-live', '--done', '0', '--status', 'running']);
    const live = await buildSnapshot({ runId: 'run-b', runName: 'run b', runDir: gone, evalId: null, trusted: true });
    const { app, close } = await openCompare(live, gone);
    try {
      await app.page.locator('.status').getByText(/running · 6 prompts × 4 samples/).waitFor();
      assert.match((await app.page.locator('.status').textContent()) ?? '', /base 0\/24 · checkpoint-3 pending/);
      assert.equal(await app.page.locator('.results').isHidden(), true);
      rmSync(gone, { recursive: true });
      const deleted = await buildSnapshot({ runId: 'run-b', runName: 'run b', runDir: gone, evalId: null, trusted: true });
      await app.sendToApp({ kind: 'notification', method: 'compare/snapshot/didChange', params: deleted.snapshot });
      await app.page.getByText('The run run b no longer exists').waitFor();
      // The state follows the run the host shows (a reload brings that run back).
      assert.deepEqual(((await app.state()) as CompareState).runId, 'run-b');
      assert.equal(await app.page.locator('button', { hasText: 'New Evaluation…' }).isHidden(), true);
      assert.deepEqual(app.errors, []);
    } finally {
      await close();
    }
  });
});

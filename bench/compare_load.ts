// Compare Checkpoints panel-load benchmark, in headless Chromium with the real bundle (build first:
// npm run build). An eval of 1,000 prompts × 16 samples × 3 checkpoints is written with
// test/unit/evals/write_eval.py (the trainer's shard schema), then:
//   host:    the snapshot the panel opens with (list evals, eval.json, summary.json, prompts.jsonl);
//   webview: from navigation to the first full render (curves, summary table with the paired
//            statistics, the matrix's visible rows) with that snapshot inlined in the page, as on
//            first open; and a fresh snapshot arriving by message (a live refresh) until painted;
//   prompt:  one prompt's 48 samples (+ cross-scores) read by the host: cold (footers parsed first),
//            and after the background prefetch the panel starts on open; the side by side painted.
//
//   node --import tsx bench/compare_load.ts [--prompts 1000 --samples 16 --tokens 32]
//
// Prints a table (median of RUNS runs). Not a pass/fail test.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EvalSampleReader } from '../src/evals/evalReader';
import { evalPaths } from '../src/runs/runFormat';
import { buildSnapshot, readPromptDetail } from '../src/webviews/compare/compareSnapshot';
import { DEFAULT_COMPARE_STATE, type CompareInit } from '../src/webviews/compare/protocol';
import { armPaintProbe, launch, openApp, readPaintProbe } from './webview_render.page';

const RUNS = Number(process.env.RUNS ?? 5);
const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { prompts: { type: 'string', default: '1000' }, samples: { type: 'string', default: '16' }, tokens: { type: 'string', default: '32' } } });
  const runDir = mkdtempSync(join(tmpdir(), 'rlstudio-compare-bench-'));
  const evalId = '20261129-220000-bench';
  const checkpoints = ['base', 'checkpoint-100', 'checkpoint-200'];
  const written = Date.now();
  execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'test/unit/evals/write_eval.py'), runDir, evalId, '--prompts', values.prompts!, '--samples', values.samples!, '--tokens', values.tokens!, '--checkpoints', checkpoints.join(','), '--cross']);
  console.log(`eval written in ${((Date.now() - written) / 1000).toFixed(1)} s: ${values.prompts} prompts × ${values.samples} samples × ${checkpoints.length} checkpoints`);

  const rows = [
    { measure: 'host: snapshot built (evals listed, eval.json, summary.json, prompts.jsonl)', target: '—', values: [] as number[] },
    { measure: 'webview: first full render, snapshot inlined (navigation → curves, table, matrix)', target: '≤ 1 s (with host)', values: [] as number[] },
    { measure: 'open the panel: host snapshot + first full render', target: '≤ 1 s', values: [] as number[] },
    { measure: 'webview: live snapshot message → matrix painted', target: '—', values: [] as number[] },
    { measure: 'host: one prompt, 3 × 16 samples + cross-scores, cold', target: '—', values: [] as number[] },
    { measure: 'host: footers of the 4 files parsed (the panel does it in the background on open)', target: '—', values: [] as number[] },
    { measure: 'host: one prompt after that prefetch', target: '—', values: [] as number[] },
    { measure: 'webview: side by side painted after the reply', target: '—', values: [] as number[] },
  ];
  const browser = await launch();
  try {
    for (let run = 0; run < RUNS; run++) {
      let t = performance.now();
      const built = await buildSnapshot({ runId: 'bench', runName: 'bench', runDir, evalId: null, trusted: true });
      const hostMs = performance.now() - t;
      rows[0].values.push(hostMs);

      const reader = new EvalSampleReader();
      const init: CompareInit = { state: { ...DEFAULT_COMPARE_STATE, runId: 'bench', runDir }, snapshot: built.snapshot };
      let replyAt = 0;
      const app = await openApp(browser, 'compare', {
        initialState: init,
        width: 1400,
        height: 1000,
        answer: async (_method, params) => {
          const p = params as { promptId: number };
          const detail = await readPromptDetail(reader, runDir, built, p.promptId);
          replyAt = performance.now();
          return detail;
        },
      });
      await app.page.waitForSelector('.mbody .mrow');
      const renderedAt = (await app.page.evaluate(`new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.getEntriesByName('compare-rendered')[0].startTime), 0)))`)) as number;
      rows[1].values.push(renderedAt);
      rows[2].values.push(hostMs + renderedAt);

      await armPaintProbe(app.page, '.mbody .mrow', 10);
      await app.send({ kind: 'notification', method: 'compare/snapshot/didChange', params: built.snapshot });
      rows[3].values.push(await readPaintProbe(app.page));

      t = performance.now();
      await readPromptDetail(new EvalSampleReader(), runDir, built, 500);
      rows[4].values.push(performance.now() - t);
      const view = built.snapshot.view!;
      t = performance.now();
      await reader.prefetch(evalPaths(runDir, evalId), Object.keys(view.summary!.checkpoints), view.crossScores);
      rows[5].values.push(performance.now() - t);
      t = performance.now();
      await readPromptDetail(reader, runDir, built, 501);
      rows[6].values.push(performance.now() - t);

      await app.page.evaluate(`window.__samplesPainted = undefined; new MutationObserver((_, o) => { if (document.querySelectorAll('.samples .sample').length >= 24) { o.disconnect(); requestAnimationFrame(() => setTimeout(() => { window.__samplesPainted = performance.now(); }, 0)); } }).observe(document.body, { childList: true, subtree: true })`);
      const clickedAt = performance.now();
      await app.page.locator('.mbody .mrow[data-prompt="3"]').click();
      await app.page.waitForSelector('.samples .sample');
      for (let i = 0; i < 500 && !(await app.page.evaluate('window.__samplesPainted !== undefined')); i++) await new Promise((r) => setTimeout(r, 10));
      // Wall time in Node from the host's reply to the paint (Node and the page clocks differ; both measured here).
      rows[7].values.push(performance.now() - Math.max(replyAt, clickedAt));
      await app.close();
    }
  } finally {
    await browser.close();
    rmSync(runDir, { recursive: true, force: true });
  }

  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const width = Math.max(...rows.map((r) => r.measure.length));
  console.log(`\n${'measure'.padEnd(width)}  ${'median'.padStart(9)}  ${'min'.padStart(9)}  ${'max'.padStart(9)}  target`);
  for (const r of rows) {
    const f = (v: number) => `${v.toFixed(1)} ms`.padStart(9);
    console.log(`${r.measure.padEnd(width)}  ${f(median(r.values))}  ${f(Math.min(...r.values))}  ${f(Math.max(...r.values))}  ${r.target}`);
  }
  console.log(`\n${RUNS} runs; Chromium ${browser.version()}; ${process.env.RLSTUDIO_CHROMIUM ?? '/usr/bin/chromium'}`);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});

// Inline inspection benchmark: what the extension host computes for rollout documents and dataset
// annotations, in a plain Node process with the real modules (src/common/, src/inline/, the run and
// shard readers).
//
//   .venv/bin/python bench/make_dataset_run.py /tmp/rlstudio-dataset-bench   # once, a few minutes
//   node --import tsx bench/inline.ts [--run /tmp/rlstudio-dataset-bench] [--repeat 20]
//
// 1. Heat decorations of a 32,768-token rollout (pieces with newlines, CRLF, tabs, multi-byte and
//    split characters): the document text and token → range mapping, the ranges per colour bin,
//    forking outline and dimming for each measure, and the ranges as plain {line, character} pairs
//    (what the wiring wraps into vscode.Range for setDecorations). Target (DESIGN.md): ≤ 200 ms.
// 2. Dataset annotations of a 10,000-line dataset trained on by a 1,000-step run: the lines an
//    editor shows (45 visible + 20 above and below, as the wiring asks) at several places in the
//    file: the first window (reads rollouts/prompts.jsonl, learns the chat template from a shard),
//    windows elsewhere (their shards read for the first time), and a window again (shards kept).
//    The visible lines with their latest step come first (what the wiring paints first), then the
//    change since the first step and the lines around. Target: ≤ 300 ms for the visible lines.
// Prints p50 / p95 / max wall time and p50 CPU time per operation. Not a pass/fail test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { Measure as ColourMeasure } from '../src/common/colorScale';
import { DatasetAnnotator } from '../src/inline/datasetAnnotator';
import { StepScoresCache } from '../src/inline/datasetIndex';
import { heatRanges } from '../src/inline/heat';
import { buildRolloutDocument } from '../src/inline/rolloutDocument';
import { RolloutReader } from '../src/runs/rollouts';
import type { RolloutDetail } from '../src/runs/rolloutTypes';
import { RunReader } from '../src/runs/runReader';

const { values: options } = parseArgs({
  options: {
    run: { type: 'string', default: '/tmp/rlstudio-dataset-bench' },
    repeat: { type: 'string', default: '20' },
    windows: { type: 'string', default: '8' },
  },
});
const REPEAT = Number(options.repeat);
const VISIBLE = 45;
const MARGIN = 20;

interface Row {
  name: string;
  target: string;
  ms: number[];
  cpuMs: number[];
  note?: string;
}
const rows: Row[] = [];

async function time<T>(name: string, target: string, body: () => Promise<T> | T): Promise<T> {
  let row = rows.find((r) => r.name === name);
  if (!row) rows.push((row = { name, target, ms: [], cpuMs: [] }));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await body();
  row.ms.push(performance.now() - started);
  const used = process.cpuUsage(cpu);
  row.cpuMs.push((used.user + used.system) / 1000);
  return result;
}

// --- 1. a 32k-token rollout ---------------------------------------------------------------------

function longRollout(n: number): RolloutDetail {
  const vocabulary = [' the', ' answer', ' is', '\n', '\r\n', '\t', ' é', ' 中文', '', '😀', ' =', ' 42', '.', ' <think>', '</think>'];
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push(vocabulary[(i * 7 + (i >> 3)) % vocabulary.length]);
  const entropies = tokens.map((_, i) => ((i * 2654435761) % 1000) / 300);
  return {
    step: 1, row: 0, promptIndex: 0, groupIndex: 0,
    prompt: '<|im_start|>user\nSolve it.<|im_end|>\n<|im_start|>assistant\n',
    completion: tokens.join(''),
    tokenIds: tokens.map((_, i) => i % 151_000),
    tokens,
    logprobs: entropies.map((e) => -e * 0.6),
    entropies,
    lossMask: entropies.map((e) => (e >= 2 ? 1 : 0)),
    advantage: 0.7, reward: 1, rewards: { accuracy: 1 }, truncated: true, hintIds: [], rewardError: null, extras: {},
    entropyThreshold: 2,
    datasetIndex: null,
    replayed: false,
    age: 0,
  };
}

async function decorations(): Promise<void> {
  const detail = longRollout(32_768);
  for (let i = 0; i < REPEAT; i++) {
    for (const measure of ['entropy', 'probability', 'advantage'] as ColourMeasure[]) {
      await time(`32k-token rollout: document + heat (${measure})`, '≤ 200 ms', () => {
        const doc = buildRolloutDocument(detail, { runName: 'bench', source: 'step 1' });
        const heat = heatRanges(doc, detail, measure);
        // What the wiring hands to setDecorations: one range object per decorated unit.
        const all = [...heat.bins.flat(), ...heat.forking, ...heat.noGradient];
        return all.map((r) => ({ sl: r.start.line, sc: r.start.character, el: r.end.line, ec: r.end.character })).length;
      });
    }
    const doc = buildRolloutDocument(detail, { runName: 'bench', source: 'step 1' });
    await time('32k-token rollout: switch colour (heat only)', '≤ 200 ms', () => heatRanges(doc, detail, 'probability').bins.length);
    // What an editor decorates: its viewport ± 150 lines, in the middle of the document.
    const middle = Math.floor(doc.completionLine + doc.lines.lineCount / 2);
    await time('32k-token rollout: heat of a viewport ± 150 lines', '≤ 200 ms', () => heatRanges(doc, detail, 'entropy', middle - 150, middle + 200).bins.length);
  }
}

// --- 2. dataset annotations --------------------------------------------------------------------

async function annotations(): Promise<void> {
  const runDir = join(options.run!, 'run');
  const run = new RunReader(runDir);
  await run.refresh();
  const lines = readFileSync(join(options.run!, 'dataset.jsonl'), 'utf8').split('\n');
  const reader = new RolloutReader();
  const annotator = new DatasetAnnotator(run, reader, new StepScoresCache(new RolloutReader(32)));
  const window = (top: number) => {
    const from = Math.max(0, top - MARGIN);
    const to = Math.min(lines.length - 1, top + VISIBLE + MARGIN);
    return Array.from({ length: to - from + 1 }, (_, k) => ({ line: from + k, text: lines[from + k] }));
  };
  const visible = (top: number) => window(top).filter((l) => l.line >= top && l.line < top + VISIBLE);
  // As the wiring does: the visible lines with their latest step first, then deltas and margins.
  await time('dataset: first view, visible lines (index + template + shards)', '≤ 300 ms', () => annotator.annotate(visible(0), () => lines, false));
  let found = await time('dataset: first view, then ± 20 lines with "since step"', '—', () => annotator.annotate(window(0), () => lines));
  const first = found;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const counts: number[] = [found.length];
  for (let i = 0; i < Number(options.windows); i++) {
    const top = Math.floor(random() * (lines.length - VISIBLE));
    await time('dataset: a view elsewhere, visible lines', '≤ 300 ms', () => annotator.annotate(visible(top), () => lines, false));
    found = await time('dataset: a view elsewhere, then ± 20 lines with "since step"', '—', () => annotator.annotate(window(top), () => lines));
    counts.push(found.length);
  }
  for (let i = 0; i < 5; i++) await time('dataset: the first view again (shards kept)', '≤ 300 ms', () => annotator.annotate(window(0), () => lines));
  const lineCount = window(0).length;
  console.log(`dataset: ${lines.length - 1} lines, run of ${run.recordedSteps().length} steps; ${lineCount} lines per window, annotated per window: ${counts.join(', ')}`);
  console.log(`example: line ${first[0]?.line}: ${first[0]?.text}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  await decorations();
  await annotations();
  const header = ['operation', 'n', 'p50 ms', 'p95 ms', 'max ms', 'p50 CPU ms', 'target'];
  const table = rows.map((r) => [
    r.name,
    String(r.ms.length),
    percentile(r.ms, 50).toFixed(1),
    percentile(r.ms, 95).toFixed(1),
    Math.max(...r.ms).toFixed(1),
    percentile(r.cpuMs, 50).toFixed(1),
    r.target,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}

void main();

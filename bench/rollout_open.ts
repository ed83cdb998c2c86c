// Rollout browsing benchmark: what the inspector's host does on a run of 1,000,000 rollouts, in a plain
// Node process with the real run reader (src/runs/runReader.ts) and shard reader (src/runs/rollouts.ts).
//
//   .venv/bin/python bench/make_big_run.py /tmp/rlstudio-big-run     # once: ~3 GB, ~7 min on 2 cores
//   (--layout groups: shards in row groups of 16, as runs recorded before pages and a page index have)
//   node --expose-gc --import tsx bench/rollout_open.ts --run /tmp/rlstudio-big-run [--seed 1]
//   rm -rf /tmp/rlstudio-big-run
//
// Browses like a user, with one reader for the session as the inspector host keeps one (random steps,
// the same ones for the same --seed):
//   open the run (run.json, events, metrics, the rollouts/ listing);
//   open a rollout of a step whose shard was not read before (rollouts/rollout/get, cold), list that
//   step (rollouts/step/get), open more of its rollouts (warm), read a group's completions
//   (rollouts/group/get); and on another new step what the app does on moving to it: list it, then
//   open one of its rollouts;
//   follow a prompt across every recorded step (rollouts/prompt/steps; the app asks after each
//   rollout it opens): the first time, then again. The trainer's rollouts/prompts.jsonl answers it;
//   the shard footers parsed for it are printed (rename that file away to time the shard scan that
//   runs written before it get);
//   step statistics (rollouts/step/stats) and a text search within a step (rollouts/step/search).
// Prints per operation p50 / p95 / max wall time, p50 / p95 CPU time of the process (on a shared
// machine other programs inflate the first, not the second) and the highest JS heap seen while it
// ran, garbage included; then the process's RSS at start and at its peak (process.memoryUsage(),
// sampled every 10 ms and after every operation; tsx's loader thread adds ~50 MB that the bundled
// extension does not have), the peak JS heap and, with --expose-gc, the heap still held after a full
// GC (the reader's caches). Targets from DESIGN.md: a rollout opens in ≤ 50 ms p95; the extension
// host stays under 300 MB. Not a pass/fail test: it prints numbers.

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/common/pairedStats';
import { RunReader } from '../src/runs/runReader';
import { RolloutReader } from '../src/runs/rollouts';
import { computeStepStats } from '../src/webviews/inspector/stepStats';

const { values: options } = parseArgs({
  options: {
    run: { type: 'string', default: '/tmp/rlstudio-big-run' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '40' }, // steps browsed: each listed and opened cold
    warm: { type: 'string', default: '3' }, // more rollouts opened per browsed step
    follow: { type: 'string', default: '6' }, // prompts followed across the run
    stats: { type: 'string', default: '8' }, // steps whose statistics are computed
  },
});

interface Measure {
  name: string;
  target: string;
  ms: number[];
  /** CPU time of this process (all its threads): unlike wall time, not inflated by other programs. */
  cpuMs: number[];
  /** The highest JS heap seen while it ran. */
  heapPeak: number;
}

const measures = new Map<string, Measure>();
const memory = { rss: 0, heapUsed: 0, external: 0 };
let operationHeap = 0;
const atStart = process.memoryUsage();

function sampleMemory(): void {
  const m = process.memoryUsage();
  memory.rss = Math.max(memory.rss, m.rss);
  memory.heapUsed = Math.max(memory.heapUsed, m.heapUsed);
  memory.external = Math.max(memory.external, m.external);
  operationHeap = Math.max(operationHeap, m.heapUsed);
}

async function timed<T>(name: string, target: string, work: () => Promise<T>): Promise<T> {
  operationHeap = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  sampleMemory();
  const measure = measures.get(name) ?? { name, target, ms: [], cpuMs: [], heapPeak: 0 };
  measure.heapPeak = Math.max(measure.heapPeak, operationHeap);
  measure.ms.push(ms);
  measure.cpuMs.push((user + system) / 1000);
  measures.set(name, measure);
  return result;
}

async function main(): Promise<void> {
  const random = mulberry32(Number(options.seed));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const sampler = setInterval(sampleMemory, 10);

  // --- open the run ---------------------------------------------------------------------------
  const run = new RunReader(options.run);
  await timed('open the run (run.json, metrics, listing)', '—', () => run.refresh());
  const steps = run.recordedSteps();
  if (steps.length === 0) {
    throw new Error(`${options.run} has no rollout shards: make one with .venv/bin/python bench/make_big_run.py ${options.run}`);
  }
  const reader = new RolloutReader();
  const counter = new RolloutReader(); // row counts, without opening shards in the reader measured
  const unseen = shuffled(steps, random);

  // --- browse steps ---------------------------------------------------------------------------
  // Per step: one rollout opened cold (its shard not read before), the step listed, more rollouts
  // of it opened warm, a group's completions. And, on another step, what the inspector app does on
  // moving to a step: list it, then open a rollout of it.
  const browsed: number[] = [];
  for (let i = 0; i < Number(options.steps) && unseen.length > 1; i++) {
    const step = unseen.pop()!;
    browsed.push(step);
    const file = run.rolloutsFile(step);
    const rows = await counter.rowCount(file);
    const row = Math.floor(random() * rows);
    await timed('open a rollout, step not opened before', '≤ 50 ms p95', () => reader.readRollout(file, row));
    const listed = await timed('list a step (summaries)', '—', () => reader.readStep(file));
    for (let w = 0; w < Number(options.warm); w++) {
      const other = Math.floor(random() * rows);
      await timed('open a rollout, same step', '≤ 50 ms p95', () => reader.readRollout(file, other));
    }
    const prompt = pick(listed.rollouts).promptIndex;
    const members = listed.rollouts.filter((r) => r.promptIndex === prompt).map((r) => r.row);
    await timed('group completions', '—', () => reader.readCompletions(file, Math.min(...members), Math.max(...members) + 1));

    const next = run.rolloutsFile(unseen.pop()!);
    await timed('move to a new step: list it, open a rollout', '—', async () => {
      const data = await reader.readStep(next);
      return reader.readRollout(next, pick(data.rollouts).row);
    });
  }

  // --- follow prompts across the run ---------------------------------------------------------
  let followParsed = 0;
  for (let i = 0; i < Number(options.follow); i++) {
    const listed = await reader.readStep(run.rolloutsFile(pick(browsed)));
    const prompt = listed.prompts[pick(listed.rollouts).promptIndex];
    const shards = run.recordedSteps().map((step) => ({ step, file: run.rolloutsFile(step) }));
    const parsed = reader.footersParsed;
    const found = await timed(i === 0 ? 'follow a prompt: first time' : 'follow a prompt: again (indexed)', '—', () =>
      reader.stepsWithPrompt(shards, prompt),
    );
    followParsed += reader.footersParsed - parsed;
    if (found.length === 0) throw new Error('a prompt was not found in the step it came from');
  }

  // --- step statistics and search ------------------------------------------------------------
  for (let i = 0; i < Number(options.stats); i++) {
    const file = run.rolloutsFile(pick(browsed));
    await timed('step statistics', '—', async () => computeStepStats(await reader.readStepTokens(file)));
    await timed('search a step', '—', () => reader.search(file, 'boxed'));
  }

  clearInterval(sampler);
  sampleMemory();
  printTable(steps.length, gcThenHeap());
  console.log(`shard footers parsed to follow prompts: ${followParsed} (of ${steps.length} shards)`);
  const { reads, bytes } = reader.fileReads;
  console.log(`read from shard files while browsing: ${mb(bytes)} in ${reads} reads (${reader.footersParsed} footers parsed)`);
}

// --- output -----------------------------------------------------------------------------------

/** With --expose-gc: the heap still held after browsing (the reader's caches, the run's metrics). */
function gcThenHeap(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function printTable(shards: number, retained: number | undefined): void {
  const header = ['operation', 'target', 'n', 'p50 ms', 'p95 ms', 'max ms', 'cpu p50', 'cpu p95', 'heap peak'];
  const body = [...measures.values()].map((m) => {
    const sorted = [...m.ms].sort((a, b) => a - b);
    const cpu = [...m.cpuMs].sort((a, b) => a - b);
    const q = (values: number[], p: number) => fmt(quantile(values, p));
    return [m.name, m.target, String(sorted.length), q(sorted, 0.5), q(sorted, 0.95), q(sorted, 1), q(cpu, 0.5), q(cpu, 0.95), mb(m.heapPeak)];
  });
  const memoryRow = (name: string, target: string, bytes: number) => [name, target, '', mb(bytes), '', '', '', '', ''];
  body.push(memoryRow('RSS at start (Node, tsx loader, modules)', '', atStart.rss));
  body.push(memoryRow('peak RSS while browsing', '< 300 MB (host)', memory.rss));
  body.push(memoryRow('peak JS heap used (garbage included)', '', memory.heapUsed));
  body.push(memoryRow('peak external (buffers)', '', memory.external));
  if (retained !== undefined) body.push(memoryRow('JS heap after a full GC at the end', '', retained));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  console.log(`${options.run}: ${shards} shards`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});

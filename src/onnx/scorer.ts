// Scoring inside the scoring process: the export's tokenizer (@huggingface/tokenizers reading
// tokenizer.json) and its scoring graph (onnxruntime-node). Texts are tokenized, windowed to
// WINDOW tokens, batched with right padding and run; only per-token numbers come back.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { ExportError, readExport, requireTask, type ExportInfo } from './exportInfo';
import type { ScoreParams, ScoreResult, ScoredText, ScoredToken } from './protocol';
import { layoutTokens } from '../common/tokenRanges';
import { windowsFor, type Window } from './windows';

/** Tokens per window (capped by the model's context) and context tokens kept between windows. */
export const WINDOW = 1024;
export const OVERLAP = 256;
/** At most this many tokens (batch × window length) go into one onnxruntime run. */
const BATCH_TOKENS = 4096;
const OUTPUTS = ['token_logprobs', 'entropies', 'top_ids', 'top_logprobs'];

export interface LoadedExport {
  info: ExportInfo;
  tokenizer: Tokenizer;
  session: ort.InferenceSession;
}

export async function loadExport(dir: string, threads = 0): Promise<LoadedExport> {
  const info = readExport(dir);
  const tokenizer = readTokenizer(path.join(dir, 'tokenizer.json'));
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
  }).catch((error: Error) => {
    throw new ExportError(`${path.join(dir, 'model.onnx')}: onnxruntime could not load it (${error.message}); export again`);
  });
  return { info, tokenizer, session };
}

export function readTokenizer(file: string): Tokenizer {
  let json: object;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as object;
  } catch (error) {
    throw new ExportError(`${file}: cannot read the tokenizer (${(error as Error).message}); export again`);
  }
  try {
    const tokenizer = new Tokenizer(json, {});
    tokenizer.encode('a');
    return tokenizer;
  } catch (error) {
    throw new ExportError(`${file}: @huggingface/tokenizers cannot use this tokenizer (${(error as Error).message})`);
  }
}

export function encode(loaded: LoadedExport, text: string): number[] {
  return loaded.tokenizer.encode(text, { add_special_tokens: false }).ids;
}

export function decode(loaded: LoadedExport, ids: number[]): string {
  return loaded.tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
}

/**
 * UTF-16 ranges of the tokens in `text`, through the shared token → text mapping (src/common/tokenRanges.ts,
 * as rollout documents use it): tokens that together make one character share its range.
 */
export function ranges(loaded: LoadedExport, ids: number[], text: string): { starts: number[]; ends: number[] } {
  const layout = layoutTokens(ids.map((id) => decode(loaded, [id])), text);
  const starts = ids.map((_, t) => layout.unitOffsets[layout.tokenUnit[t]]);
  const ends = ids.map((_, t) => layout.unitOffsets[layout.tokenUnit[t] + 1]);
  return { starts, ends };
}

export async function score(loaded: LoadedExport, params: ScoreParams): Promise<ScoreResult> {
  requireTask(loaded.info, 'causal-lm-scoring');
  const temperature = params.temperature ?? loaded.info.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature ${temperature}: must be > 0`);
  const size = Math.max(3, Math.min(params.window?.size ?? WINDOW, loaded.info.maxLength ?? WINDOW));
  const overlap = Math.min(params.window?.overlap ?? OVERLAP, size - 2);
  const notices: string[] = [];
  if (loaded.info.quantization) {
    notices.push(`int8 export: mean |Δ logprob| vs torch ${loaded.info.check.meanAbsLogprobDiff.toFixed(3)} nats (max ${loaded.info.check.maxAbsLogprobDiff.toFixed(2)})`);
  }
  const texts = params.inputs.map((input) => {
    const textIds = encode(loaded, input.text);
    const ids = [...textIds, ...(input.appendIds ?? [])];
    const { starts, ends } = ranges(loaded, textIds, input.text);
    const tokens: ScoredToken[] = ids.map((id, i) => ({
      id,
      piece: decode(loaded, [id]),
      start: starts[i] ?? input.text.length,
      end: ends[i] ?? input.text.length,
      logprob: null,
      entropy: null,
      top: [],
    }));
    return { ids, tokens, windows: windowsFor(ids.length, size, overlap) };
  });
  const windowed = texts.filter((t) => t.windows.length > 1);
  if (windowed.length > 0) {
    const context = loaded.info.maxLength ?? size;
    notices.push(`${windowed.length} text(s) longer than the ${size}-token window (model context ${context}): scored in overlapping windows, each token with at least ${overlap} tokens of context`);
  }
  const jobs = texts.flatMap((t) => t.windows.filter((w) => w.end - w.start >= 2).map((w) => ({ ids: t.ids, tokens: t.tokens, window: w })));
  jobs.sort((a, b) => a.window.end - a.window.start - (b.window.end - b.window.start));
  let runMs = 0;
  for (let i = 0; i < jobs.length; ) {
    const width = jobs[i].window.end - jobs[i].window.start;
    let j = i + 1;
    while (j < jobs.length && (j - i + 1) * (jobs[j].window.end - jobs[j].window.start) <= BATCH_TOKENS) j++;
    const batch = jobs.slice(i, j);
    const started = performance.now();
    await runBatch(loaded, batch, Math.max(width, ...batch.map((b) => b.window.end - b.window.start)), temperature);
    runMs += performance.now() - started;
    i = j;
  }
  const results: ScoredText[] = texts.map((t) => ({ tokens: t.tokens, windows: t.windows.length }));
  return { results, temperature, notices, runMs };
}

async function runBatch(loaded: LoadedExport, batch: { ids: number[]; tokens: ScoredToken[]; window: Window }[], width: number, temperature: number): Promise<void> {
  const rows = batch.length;
  const ids = new BigInt64Array(rows * width);
  const mask = new BigInt64Array(rows * width);
  batch.forEach(({ ids: all, window }, r) => {
    for (let t = window.start; t < window.end; t++) {
      ids[r * width + t - window.start] = BigInt(all[t]);
      mask[r * width + t - window.start] = 1n;
    }
  });
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [rows, width]),
    attention_mask: new ort.Tensor('int64', mask, [rows, width]),
    temperature: new ort.Tensor('float32', Float32Array.of(temperature), []),
  };
  const out = await loaded.session.run(feeds, OUTPUTS);
  const logprobs = out.token_logprobs.data as Float32Array;
  const entropies = out.entropies.data as Float32Array;
  const topIds = out.top_ids.data as BigInt64Array;
  const topLogprobs = out.top_logprobs.data as Float32Array;
  const k = out.top_ids.dims[2];
  batch.forEach(({ tokens, window }, r) => {
    for (let t = window.scoreFrom; t < window.end; t++) {
      const at = r * (width - 1) + (t - window.start - 1); // output position p predicts token p + 1
      const token = tokens[t];
      token.logprob = logprobs[at];
      token.entropy = entropies[at];
      token.top = Array.from({ length: k }, (_, c) => {
        const id = Number(topIds[at * k + c]);
        return { id, piece: decode(loaded, [id]), logprob: topLogprobs[at * k + c] };
      });
    }
  });
  for (const tensor of Object.values(out)) tensor.dispose();
}

/** Scores of a reward model: texts tokenized with the tokenizer's special tokens (as the trainer does), right-padded. */
export async function reward(loaded: LoadedExport, texts: string[]): Promise<number[][]> {
  requireTask(loaded.info, 'sequence-classification');
  const rows = texts.map((text) => loaded.tokenizer.encode(text, { add_special_tokens: true }).ids);
  // The head reads the last token before the first pad id (transformers' pooling): pad with that id.
  const pad = BigInt(loaded.tokenizer.token_to_id(loaded.info.specialTokens.pad ?? '') ?? 0);
  const scores: number[][] = [];
  for (let i = 0; i < rows.length; i += 16) {
    const batch = rows.slice(i, i + 16);
    const width = Math.max(...batch.map((r) => r.length));
    const ids = new BigInt64Array(batch.length * width).fill(pad);
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((row, r) => row.forEach((id, t) => {
      ids[r * width + t] = BigInt(id);
      mask[r * width + t] = 1n;
    }));
    const out = await loaded.session.run({
      input_ids: new ort.Tensor('int64', ids, [batch.length, width]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, width]),
    });
    const data = out.scores.data as Float32Array;
    const labels = out.scores.dims[1];
    batch.forEach((_, r) => scores.push(Array.from(data.subarray(r * labels, (r + 1) * labels))));
    for (const tensor of Object.values(out)) tensor.dispose();
  }
  return scores;
}

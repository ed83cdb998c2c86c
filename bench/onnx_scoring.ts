// The Node half of bench/onnx_scoring.py: scores texts through the real scoring process
// (ScoringClient → forked scoring process → onnxruntime-node) and reports wall times, the
// per-token logprobs and the scoring process's peak RSS. Run by the Python script:
//
//   node --import tsx bench/onnx_scoring.ts < {"exportDir", "texts": [...], "selection": "...", "repeats": n}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScoringClient } from '../src/onnx/scoringClient';

interface Request {
  exportDir: string;
  texts: string[];
  selection: string;
  repeats: number;
  /** Texts to tokenize only (tokenizer parity with Python). */
  parity: string[];
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
  const client = new ScoringClient({ script: join(__dirname, '..', 'src', 'onnx', 'scoringProcess.ts'), execArgv: ['--import', 'tsx'] });
  try {
    const load = performance.now();
    await client.request('score', { exportDir: request.exportDir, inputs: [{ text: request.selection }], temperature: 1 }); // load + warm-up
    const loadMs = performance.now() - load;
    const textMs: number[] = [];
    const logprobs: (number | null)[][] = [];
    for (const text of request.texts) {
      const started = performance.now();
      const result = await client.request('score', { exportDir: request.exportDir, inputs: [{ text }], temperature: 1 });
      textMs.push(performance.now() - started);
      logprobs.push(result.results[0].tokens.map((t) => t.logprob));
    }
    const selectionMs: number[] = [];
    let selectionTokens = 0;
    for (let i = 0; i < request.repeats; i++) {
      const started = performance.now();
      const result = await client.request('score', { exportDir: request.exportDir, inputs: [{ text: request.selection }], temperature: 1 });
      selectionMs.push(performance.now() - started);
      selectionTokens = result.results[0].tokens.length;
    }
    const parityIds: number[][] = [];
    for (const text of request.parity) parityIds.push((await client.request('tokenize', { exportDir: request.exportDir, text })).ids);
    const status = readFileSync(`/proc/${client.pid}/status`, 'utf8');
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    process.stdout.write(JSON.stringify({ loadMs, textMs, logprobs, selectionMs, selectionTokens, peakRssMb: peakKb / 1024, parityIds }));
  } finally {
    client.dispose();
  }
}

void main();

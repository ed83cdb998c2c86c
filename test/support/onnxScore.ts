// Scores through the real scoring process (dist/scoring.js when built, else the TypeScript entry
// with tsx) for tests and benchmarks written in Python:
//
//   node --import tsx test/support/onnxScore.ts < request.json > result.json
//
// request: {"requests": [ScoreParams, ...], "reward"?: {exportDir, texts}}
//   →  {"results": [ScoreResult, ...], "scores"?: number[][], "scoreError"?: string}

import { join } from 'node:path';
import { ScoringClient } from '../../src/onnx/scoringClient';
import type { ScoreParams, ScoreResult } from '../../src/onnx/protocol';

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { requests, reward } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    requests: ScoreParams[];
    reward?: { exportDir: string; texts: string[] };
  };
  const client = new ScoringClient({
    script: join(__dirname, '..', '..', 'src', 'onnx', 'scoringProcess.ts'),
    execArgv: ['--import', 'tsx'],
    onStderr: (text) => process.stderr.write(text),
  });
  try {
    const results: ScoreResult[] = [];
    for (const request of requests) results.push(await client.request('score', request));
    const out: { results: ScoreResult[]; scores?: number[][]; scoreError?: string } = { results };
    if (reward) {
      out.scores = (await client.request('reward', reward)).scores;
      const refused = await client.request('score', { exportDir: reward.exportDir, inputs: [{ text: reward.texts[0] }] }).catch((e: Error) => e);
      out.scoreError = refused instanceof Error ? refused.message : 'scored tokens with a reward model';
    }
    process.stdout.write(JSON.stringify(out));
  } finally {
    client.dispose();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});

// Heat decorations of a 32k-token rollout in a real VS Code (code-server + Chromium, as the e2e
// tests run it): how long from picking the sample in "RL Studio: Open Rollout…" until the first
// heat colours are drawn, and from "Switch Colour" (Alt+C) until the new measure's colours are drawn
// (setDecorations of every unit and the editor's repaint). The run is written by the trainer's own
// writers; the values are made up (entropies spread over every bin).
//
//   npm run build && node -e "import('./scripts/setup.mjs').then(m => m.packageVsix())"   # the VSIX
//   node --import tsx bench/inline_vscode.ts [--tokens 32768] [--repeat 5]
//
// Times are taken in the page (performance.now() around a MutationObserver), so the browser's own
// work counts and the driver's round trips do not. Target (DESIGN.md): ≤ 200 ms. Prints a table.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../scripts/lib.mjs';
import { SCALES } from '../src/common/colorScale';
import { startSession, type Session } from '../test/e2e/harness';

const { values: options } = parseArgs({ options: { tokens: { type: 'string', default: '32768' }, repeat: { type: 'string', default: '5' } } });

const WRITE_RUN = `
import sys
from pathlib import Path
import numpy as np
from rlstudio.config import parse_config
from rlstudio.rollouts import write_shard
from rlstudio.runfiles import RunWriter
out, n = Path(sys.argv[1]), int(sys.argv[2])
config = parse_config("name: long\\nmodel: {name: tiny}\\ndata: {path: data.jsonl}\\nrewards:\\n  - {name: accuracy, ref: exact_answer}\\n")
writer = RunWriter.create(out, "long", config.to_dict(), None, {"rlstudio": "bench"}, 1, "tiny")
rng = np.random.default_rng(0)
vocab = [" the", " answer", " is", "\\n", " é", " 中文", "😀", " =", " 42", ".", "\\t", " so"]
rows = []
for g in range(2):
    ids = rng.integers(0, len(vocab), n)
    tokens = [vocab[i] for i in ids]
    entropies = rng.uniform(0, 3.5, n).astype(np.float32)
    rows.append({"step": 1, "prompt_index": 0, "group_index": g, "prompt": "<|im_start|>user\\nWrite a long answer.<|im_end|>\\n",
                 "completion": "".join(tokens), "token_ids": ids.tolist(), "tokens": tokens,
                 "logprobs": (-entropies * 0.5).tolist(), "entropies": entropies.tolist(),
                 "loss_mask": (entropies > 2.5).astype(np.int8).tolist(), "entropy_threshold": 2.5,
                 "advantage": 0.5 - g, "reward": float(1 - g), "rewards": {"accuracy": float(1 - g)}, "truncated": True,
                 "hint_ids": [], "reward_error": None, "extras": {}})
write_shard(writer.dir / "rollouts", 1, rows, ["accuracy"])
writer.set_status("completed")
writer.close()
`;

async function choose(vs: Session, label: string): Promise<void> {
  const row = vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: vs.page.getByText(label, { exact: true }) }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

/** In the page: resolves with the ms from now until a heat overlay in one of `colors` is drawn. */
function armHeatWatch(vs: Session, colors: string[]): Promise<void> {
  // A string, not a function: tsx's name helpers do not exist in the page.
  return vs.page.evaluate(`(() => {
    const wanted = ${JSON.stringify(colors)};
    const heat = (window.__heat = { start: performance.now() });
    const observer = new MutationObserver(() => {
      if (heat.end !== undefined) return;
      const overlays = document.querySelectorAll('.editor-instance .view-overlays div[class*="ced-"]');
      if (Array.from(overlays).some((d) => wanted.includes(getComputedStyle(d).backgroundColor))) {
        heat.end = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
  })()`);
}

async function heatMs(vs: Session): Promise<number> {
  const handle = await vs.page.waitForFunction('window.__heat && window.__heat.end !== undefined ? window.__heat.end - window.__heat.start : undefined', undefined, {
    timeout: 60_000,
    polling: 50,
  });
  return Number(await handle.jsonValue());
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'rlstudio-bench-inline-'));
  execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', WRITE_RUN, join(workspace, '.rlstudio', 'runs', 'long'), options.tokens!]);
  const vs = await startSession({ name: 'bench-inline', workspace, copyWorkspace: false });
  const open: number[] = [];
  const switched: number[] = [];
  try {
    await vs.waitForActivation();
    for (let i = 0; i < Number(options.repeat); i++) {
      const sample = `sample ${i % 2}`;
      await vs.runCommand('RL Studio: Open Rollout…');
      await choose(vs, 'step 1');
      await choose(vs, 'prompt 0');
      await armHeatWatch(vs, SCALES.entropy.colors);
      await choose(vs, sample);
      open.push(await heatMs(vs));
      await vs.page.locator('.editor-instance .view-line').first().click();
      await armHeatWatch(vs, SCALES.probability.colors);
      await vs.page.keyboard.press('Alt+C');
      switched.push(await heatMs(vs));
      await vs.page.keyboard.press('Alt+C'); // advantage
      await vs.page.keyboard.press('Alt+C'); // back to entropy
      await vs.runCommand('View: Close All Editors');
    }
  } finally {
    await vs.close();
  }
  const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
  const row = (name: string, v: number[]) =>
    `${name.padEnd(58)}${String(v.length).padStart(3)}${sorted(v)[Math.floor(v.length / 2)].toFixed(0).padStart(9)}${Math.max(...v).toFixed(0).padStart(9)}    ≤ 200 ms`;
  console.log(`${'operation'.padEnd(58)}${'n'.padStart(3)}${'p50 ms'.padStart(9)}${'max ms'.padStart(9)}    target`);
  console.log(row(`${options.tokens}-token rollout: pick → heat drawn (read + decorate)`, open));
  console.log(row(`${options.tokens}-token rollout: Alt+C → new colours drawn`, switched));
}

void main();

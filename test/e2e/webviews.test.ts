// The dashboard and the rollout inspector in a real VS Code against a real tiny run that trains
// while the test watches (with difficulty-targeted selection on): the charts grow, the Selection
// section's heatmap agrees with selection.jsonl, clicking a point opens the inspector at that step,
// hovering a token shows its card, and both panels come back after a window reload.
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../scripts/lib.mjs";
import { startSession, type Session } from "./harness";
import { runPaths } from "../../src/runs/runFormat";

const VENV = join(ROOT, ".venv", "bin");
let vs: Session;
let trainer: ChildProcess | undefined;

/** A workspace with a tiny local model, a few prompts, and a run config long enough to watch. */
function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "rlstudio-e2e-webviews-"));
  execFileSync(join(VENV, "python"), ["-m", "rlstudio.testing", "make-tiny-model", join(dir, "model"), "--hidden", "16"], { stdio: "ignore" });
  const rows = [1, 2, 3, 4, 5, 6].map((a) => JSON.stringify({ prompt: `What is ${a} + 2?`, answer: String(a + 2) }));
  writeFileSync(join(dir, "data.jsonl"), rows.join("\n") + "\n");
  writeFileSync(
    join(dir, "watch.rlstudio.yaml"),
    [
      "name: watch",
      "model:",
      "  name: ./model",
      "data:",
      "  path: data.jsonl",
      "  selection:",
      "    strategy: difficulty",
      "algorithm:",
      "  max_steps: 300",
      "  num_generations: 4",
      "  per_device_train_batch_size: 8",
      "  max_completion_length: 12",
      "  logging_steps: 1",
      "  top_entropy_quantile: 0.5",
      "rewards:",
      "  - name: exact",
      "    ref: exact_answer",
      "recording:",
      "  every_n_steps: 2",
      "checkpoints:",
      "  every_n_steps: 1000",
      "",
    ].join("\n"),
  );
  return dir;
}

const runDirOf = (workspace: string) => join(workspace, ".rlstudio", "runs", "20260101-000000-watch");

function startTrainer(workspace: string): ChildProcess {
  const runDir = runDirOf(workspace);
  mkdirSync(runPaths(runDir).logs, { recursive: true });
  return spawn(join(VENV, "rlstudio"), ["train", join(workspace, "watch.rlstudio.yaml"), "--run-dir", runDir], {
    cwd: workspace,
    detached: true,
    env: { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" },
    stdio: ["ignore", openSync(runPaths(runDir).log('stdout.log'), "a"), openSync(runPaths(runDir).log('stderr.log'), "a")],
  });
}

let workspace: string;

before(async () => {
  workspace = makeWorkspace();
  trainer = startTrainer(workspace);
  vs = await startSession({ name: "webviews", workspace, copyWorkspace: false });
  await vs.waitForActivation();
});

after(async () => {
  if (trainer?.pid) {
    try {
      process.kill(-trainer.pid, "SIGKILL");
    } catch {
      // already ended
    }
  }
  await vs?.close();
});

/** The last logged step on the reward chart (crosshair moved to the end with the keyboard). */
async function lastChartedStep(): Promise<number> {
  const frame = await vs.frameWith('.chart-card[data-metric="reward"]');
  const card = frame.locator('.chart-card[data-metric="reward"]');
  await card.press("End"); // keyboard: crosshair on the last point
  const text = (await card.locator(".readout-x").textContent()) ?? "";
  return Number(/step (\d+)/.exec(text)?.[1] ?? NaN);
}

test("the dashboard's charts grow while the run trains", { timeout: 300_000 }, () =>
  vs.step("dashboard-live", async () => {
    await vs.runCommand("RL Studio: Open Dashboard");
    const first = await lastChartedStep();
    assert.ok(first >= 1, `first step ${first}`);
    let later = first;
    const deadline = Date.now() + 120_000;
    while (later <= first && Date.now() < deadline) {
      await vs.page.waitForTimeout(1000);
      later = await lastChartedStep();
    }
    assert.ok(later > first, `the chart stayed at step ${first}`);
    await vs.screenshot("dashboard-live");
  }));

test("the dashboard's lines are computed in its Web Worker, which the webview's CSP lets start", { timeout: 120_000 }, () =>
  vs.step("dashboard-worker", async () => {
    // A card says who drew its lines: "worker", or "main" where the worker could not start.
    const frame = await vs.frameWith('.chart-card[data-metric="reward"][data-drawn]');
    assert.equal(await frame.locator('.chart-card[data-metric="reward"]').getAttribute("data-drawn"), "worker");
  }));

test("the Selection section draws the difficulty distribution of the trainer's selection.jsonl", { timeout: 180_000 }, () =>
  vs.step("selection-heatmap", async () => {
    const frame = await vs.frameWith(".heatmap-card canvas", 120_000);
    const canvas = frame.locator(".heatmap-card canvas");
    await canvas.scrollIntoViewIfNeeded();
    // Focus starts on the first step with an estimate (the first rounds have none): wait for one.
    let match: RegExpExecArray | null = null;
    for (const deadline = Date.now() + 120_000; !match || match[3] === "0"; await canvas.blur()) {
      assert.ok(Date.now() < deadline, "no chosen prompt with an estimate appeared on the heatmap");
      await vs.page.waitForTimeout(1000);
      await canvas.focus();
      const text = (await frame.locator(".heatmap-hover").textContent()) ?? "";
      match = /^step (\d+) · difficulty (\d\.\d)–\d\.\d · (\d+) prompts?$/.exec(text);
      assert.ok(match, `hover text: ${text}`);
    }
    // The same count from the file the trainer wrote (the last line of a step wins; complete lines only).
    const [step, bin, count] = [Number(match![1]), Math.round(Number(match![2]) * 10), Number(match![3])];
    const text = readFileSync(runPaths(runDirOf(workspace)).selection, "utf8");
    const lines = text.slice(0, text.lastIndexOf("\n")).split("\n").map((l) => JSON.parse(l) as { step: number; prompts: { estimate: number | null }[] });
    const line = lines.filter((l) => l.step === step).at(-1)!;
    assert.equal(count, line.prompts.filter((p) => p.estimate !== null && Math.min(9, Math.floor(p.estimate * 10)) === bin).length);
    await vs.screenshot("selection-heatmap");
  }));

test("clicking a point opens the inspector at that step; hovering a token shows its card", { timeout: 180_000 }, () =>
  vs.step("inspector", async () => {
    const frame = await vs.frameWith('.chart-card[data-metric="reward"]');
    const card = frame.locator('.chart-card[data-metric="reward"]');
    await card.press("Home");
    await card.press("ArrowRight"); // step 2: a recorded step (every 2 steps)
    await card.press("Enter");
    const inspector = await vs.frameWith(".tok");
    assert.equal(await inspector.locator('select[aria-label="Step"]').inputValue(), "2");
    await inspector.locator(".tok").nth(2).hover();
    const row = inspector.locator(".token-card tr[data-token]").first();
    await row.waitFor({ state: "visible" });
    const cells = await row.locator("td").allTextContents();
    assert.equal(cells.length, 7);
    assert.ok(Number.isFinite(Number(cells[2])) && Number(cells[2]) <= 0, `logprob ${cells[2]}`);
    await vs.screenshot("inspector-card");
  }));

test("both panels come back after a window reload", { timeout: 180_000 }, () =>
  vs.step("reload", async () => {
    await vs.runCommand("Developer: Reload Window");
    await vs.page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    const inspector = await vs.frameWith(".tok", 90_000);
    assert.equal(await inspector.locator('select[aria-label="Step"]').inputValue(), "2");
    await vs.page.locator(".tab", { hasText: /^Dashboard/ }).first().click();
    const step = await lastChartedStep();
    assert.ok(step >= 2);
  }));

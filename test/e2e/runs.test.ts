// Runs end to end in a real VS Code: create a run config with the command, start it from the
// palette, watch the step count move in the Runs view and the status bar, reload the window mid-run
// and see the run reattach, stop it and see "Stopped", resume it and stop it again. The model is a
// tiny random one built here (no download).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../scripts/lib.mjs";
import { startSession, type Session } from "./harness";
import { runPaths } from "../../src/runs/runFormat";

const PYTHON = join(ROOT, ".venv", "bin", "python");
let vs: Session;
let workspace: string;

/** A workspace with a tiny local model and a few prompts. */
export function makeTinyWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "rlstudio-e2e-ws-"));
  execFileSync(PYTHON, ["-m", "rlstudio.testing", "make-tiny-model", join(dir, "model"), "--hidden", "16"], { stdio: "ignore" });
  const rows = [1, 2, 3, 4, 5, 6].map((a) => JSON.stringify({ prompt: `What is ${a} + 2?`, answer: String(a + 2) }));
  writeFileSync(join(dir, "data.jsonl"), rows.join("\n") + "\n");
  return dir;
}

before(async () => {
  workspace = makeTinyWorkspace();
  vs = await startSession({ name: "runs", workspace, copyWorkspace: false, settings: { "rlstudio.pythonPath": PYTHON } });
  await vs.waitForActivation();
});

after(async () => {
  // Never leave a trainer behind.
  for (const run of runDirs()) {
    const manifest = readManifest(run);
    if (manifest && ["starting", "running", "stopping"].includes(manifest.status)) {
      try {
        process.kill(-manifest.pid, "SIGKILL");
      } catch {
        // ended
      }
    }
  }
  await vs?.close();
});

function runDirs(): string[] {
  const root = join(workspace, ".rlstudio", "runs");
  return existsSync(root) ? readdirSync(root).map((d) => join(root, d)) : [];
}

function readManifest(dir: string): { status: string; pid: number } | undefined {
  try {
    return JSON.parse(readFileSync(runPaths(dir).manifest, "utf8"));
  } catch {
    return undefined;
  }
}

async function pick(label: string): Promise<void> {
  const row = vs.page.locator(".quick-input-list .monaco-list-row", { has: vs.page.getByText(label, { exact: true }) }).first();
  await row.waitFor({ state: "visible", timeout: 30_000 });
  await row.click();
}

/** The step shown for the run in the Runs view, once it matches. */
async function shownStep(timeoutMs: number, above = -1): Promise<number> {
  const item = vs.treeItem("Runs", /grpo-run/);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await item.innerText({ timeout: timeoutMs }).catch(() => "")) ?? "";
    const m = /step (\d+)\/400/.exec(text);
    if (m && Number(m[1]) > above) return Number(m[1]);
    if (Date.now() > deadline) throw new Error(`the Runs view never showed a step above ${above}; it shows: ${text}`);
    await vs.page.waitForTimeout(250);
  }
}

test("create a run config with the command", { timeout: 120_000 }, () =>
  vs.step("create-config", async () => {
    await vs.runCommand("RL Studio: Create Run Config");
    await pick("GRPO (dapo loss)"); // the algorithm comes first
    await pick("model"); // the tiny model folder, found in the workspace
    await pick("data.jsonl");
    await vs.page.locator(".quick-input-list .monaco-list-row", { hasText: "exact_answer" }).first().waitFor({ state: "visible" });
    await vs.page.keyboard.press("Enter"); // accept the pre-selected rewards
    await pick("Quick CPU check");
    await vs.page.locator(".quick-input-box input").waitFor({ state: "visible" });
    await vs.page.keyboard.press("Enter"); // the suggested name, grpo-run
    const file = join(workspace, "grpo-run.rlstudio.yaml");
    const deadline = Date.now() + 20_000;
    while (!existsSync(file) && Date.now() < deadline) await vs.page.waitForTimeout(200);
    const text = readFileSync(file, "utf8");
    assert.match(text, /^model:\n {2}name: model$/m);
    assert.match(text, /ref: exact_answer/);
    // Long enough to watch, reload and stop it; the test stops it long before the end.
    writeFileSync(file, text.replace(/max_steps: \d+/, "max_steps: 400"));
    await vs.page.locator(".monaco-editor .view-lines", { hasText: "max_steps: 400" }).first().waitFor({ timeout: 20_000 });
  }));

test("start the run from the palette and watch the step count move in the Runs view", { timeout: 300_000 }, () =>
  vs.step("start", async () => {
    await vs.runCommand("RL Studio: Start Run");
    await vs.openViewContainer("RL Studio");
    const first = await shownStep(240_000);
    const later = await shownStep(60_000, first);
    assert.ok(later > first);
    const statusBar = vs.page.locator(".statusbar-item", { hasText: "grpo-run" }).first();
    assert.match(await statusBar.innerText({ timeout: 10_000 }), /grpo-run\s+step \d+\/400/);
    await vs.screenshot("run-live");
  }));

test("reload the window during the run: the run is live again and keeps updating", { timeout: 180_000 }, () =>
  vs.step("reload", async () => {
    const before = await shownStep(10_000);
    await vs.runCommand("Developer: Reload Window");
    await vs.page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    await vs.openViewContainer("RL Studio");
    const reattached = await shownStep(60_000, before - 1);
    await shownStep(60_000, reattached);
    const live = runDirs().map(readManifest).filter((m) => m?.status === "running");
    assert.equal(live.length, 1, "the trainer survived the reload");
  }));

test("stop the run: the Runs view says Stopped and the run has a checkpoint", { timeout: 180_000 }, () =>
  vs.step("stop", async () => {
    await vs.runCommand("RL Studio: Stop Run");
    await vs.treeItem("Runs", /grpo-run/).filter({ hasText: "Stopped" }).waitFor({ timeout: 120_000 });
    const [run] = runDirs();
    assert.equal(readManifest(run)?.status, "stopped");
    assert.ok(readdirSync(runPaths(run).checkpoints).some((d) => d.startsWith("checkpoint-")));
    await vs.screenshot("run-stopped");
  }));

test("resume the stopped run: it continues from its checkpoint; stop it again", { timeout: 300_000 }, () =>
  vs.step("resume", async () => {
    const stoppedAt = await shownStep(10_000);
    await vs.runCommand("RL Studio: Resume Run");
    const item = vs.treeItem("Runs", /grpo-run/);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const text = await item.innerText();
      const m = /step (\d+)\/400/.exec(text);
      if (!text.includes("Stopped") && m && Number(m[1]) > stoppedAt) break;
      if (Date.now() > deadline) throw new Error(`the resumed run never moved past step ${stoppedAt}; the view shows: ${text}`);
      await vs.page.waitForTimeout(250);
    }
    const [run] = runDirs();
    assert.equal(JSON.parse(readFileSync(runPaths(run).manifest, "utf8")).resumedFrom?.step > 0, true);
    await vs.runCommand("RL Studio: Stop Run");
    await vs.treeItem("Runs", /grpo-run/).filter({ hasText: "Stopped" }).waitFor({ timeout: 120_000 });
  }));

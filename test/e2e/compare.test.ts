// Compare Checkpoints in a real VS Code (code-server) on a real tiny run trained here: the palette
// command opens the run's eval (curves, table, matrix), a prompt opens side by side, "New
// Evaluation…" starts `rlstudio eval` from the panel (when the trainer has it) and the panel shows it
// as it completes, the panel comes back after a window reload, and says so when the run is deleted.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../scripts/lib.mjs";
import { startSession, type Session } from "./harness";

const VENV = join(ROOT, ".venv", "bin");
const ENV = { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" };
const hasEval = spawnSync(join(VENV, "rlstudio"), ["eval", "--help"], { stdio: "ignore" }).status === 0;
let vs: Session;
let runDir: string;

/** A workspace with a tiny model and a finished 2-step run with checkpoint-2, plus an eval of it. */
function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "rlstudio-e2e-compare-"));
  execFileSync(join(VENV, "python"), ["-m", "rlstudio.testing", "make-tiny-model", join(dir, "model"), "--hidden", "16"], { stdio: "ignore" });
  const rows = [1, 2, 3, 4, 5, 6].map((a) => JSON.stringify({ prompt: `What is ${a} + 2?`, answer: String(a + 2) }));
  writeFileSync(join(dir, "data.jsonl"), rows.join("\n") + "\n");
  const config = join(dir, "tiny.rlstudio.yaml");
  writeFileSync(
    config,
    [
      "name: tiny",
      "model: {name: ./model}",
      "data: {path: data.jsonl}",
      "rewards: [{name: exact, ref: exact_answer}]",
      "algorithm: {num_generations: 2, per_device_train_batch_size: 2, max_completion_length: 8, max_steps: 2}",
      "checkpoints: {every_n_steps: 2}",
      "",
    ].join("\n"),
  );
  // In the workspace's settings: code-server applies a user value of this setting only sometimes.
  mkdirSync(join(dir, ".vscode"));
  writeFileSync(join(dir, ".vscode", "settings.json"), JSON.stringify({ "rlstudio.pythonPath": join(VENV, "python") }));
  runDir = join(dir, ".rlstudio", "runs", "20260101-000000-tiny");
  execFileSync(join(VENV, "rlstudio"), ["train", config, "--run-dir", runDir], { cwd: dir, stdio: "ignore", env: ENV });
  execFileSync(join(VENV, "python"), [join(ROOT, "test/unit/evals/write_eval.py"), runDir, "20260101-000100-written", "--prompts", "30", "--samples", "8", "--checkpoints", "base,checkpoint-1,checkpoint-2"]);
  return dir;
}

before(async () => {
  const workspace = makeWorkspace();
  vs = await startSession({ name: "compare", workspace, copyWorkspace: false, settings: { "rlstudio.pythonPath": join(VENV, "python") } });
  await vs.waitForActivation();
});

after(async () => {
  await vs?.close();
});

test("Compare Checkpoints from the palette: curves, table, matrix; a prompt side by side", { timeout: 240_000 }, () =>
  vs.step("compare-open", async () => {
    await vs.runCommand("RL Studio: Compare Checkpoints");
    const frame = await vs.frameWith(".mbody .mrow[data-prompt]");
    assert.match((await frame.locator(".crossings").textContent()) ?? "", /base overtakes checkpoint-2 at k ≥ \d+/);
    assert.equal(await frame.locator("table.summary tbody tr").count(), 3);
    await frame.locator('.mbody .mrow[data-prompt="3"]').click();
    await frame.locator(".samples .column .sample").first().waitFor();
    assert.equal(await frame.locator(".samples .column").count(), 3);
    assert.equal(await frame.locator("#app script").count(), 0);
    await vs.screenshot("compare-open");
  }));

test("New Evaluation… from the panel runs `rlstudio eval`; the panel follows it", { timeout: 300_000, skip: hasEval ? false : "the installed trainer has no `rlstudio eval`" }, () =>
  vs.step("compare-new", async () => {
    const frame = await vs.frameWith("button.button");
    await frame.locator("button.button", { hasText: "New Evaluation…" }).click();
    // Checkpoints: base and the latest are preselected.
    const input = vs.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.press("Enter");
    await vs.page.locator(".quick-input-list .monaco-list-row", { hasText: /^4/ }).first().waitFor();
    await input.fill("4");
    await input.press("Enter");
    await vs.waitForNotification(/Evaluating tiny/, 60_000);
    // The panel switches to the new eval once it has written eval.json, and follows it to the end.
    const deadline = Date.now() + 240_000;
    let shown = "";
    let status = "";
    while (Date.now() < deadline && !(/-compare$/.test(shown) && status.startsWith("completed"))) {
      await vs.page.waitForTimeout(1000);
      shown = await frame.locator('select[aria-label="Evaluation"]').inputValue();
      status = (await frame.locator(".status").textContent()) ?? "";
    }
    assert.match(shown, /-compare$/);
    assert.match(status, /^completed · \d+ prompts × 4 samples/);
    assert.equal(await frame.locator("table.summary tbody tr").count(), 2);
    await vs.waitForNotification(/evaluation of tiny is complete/, 30_000);
    await vs.screenshot("compare-new");
  }));

test("the panel comes back after a window reload, and says so when the run is deleted", { timeout: 240_000 }, () =>
  vs.step("compare-reload", async () => {
    const before = await vs.frameWith(".mbody .mrow[data-prompt]");
    await before.locator('.mbody .mrow[data-prompt="2"]').click();
    await before.locator(".samples .column .sample").first().waitFor();
    await vs.runCommand("Developer: Reload Window");
    await vs.page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    const frame = await vs.frameWith(".mbody .mrow[data-prompt]", 90_000);
    await frame.locator(".samples .column .sample").first().waitFor({ timeout: 30_000 }); // the prompt opened before
    assert.equal(await frame.locator(".samples h3").textContent(), "Prompt 2");
    rmSync(runDir, { recursive: true, force: true });
    await frame.getByText(/no longer exists/).waitFor({ timeout: 20_000 });
    await vs.screenshot("compare-deleted");
  }));

// Local scoring end to end in a real VS Code: export the fixture run's checkpoint from the Runs
// view (the real `rlstudio export-onnx`), see the export under its checkpoint, score a text file's
// selection with it (the scoring process on onnxruntime-node from the VSIX), and see the heat
// decorations and a token's hover.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Locator } from "playwright-core";
import { ROOT } from "../../scripts/lib.mjs";
import { startSession, type Session } from "./harness";

const PYTHON = join(ROOT, ".venv", "bin", "python");
let vs: Session;
let workspace: string;

before(async () => {
  workspace = mkdtempSync(join(tmpdir(), "rlstudio-e2e-onnx-"));
  const run = join(workspace, ".rlstudio", "runs", "completed-tiny");
  cpSync(join(ROOT, "test", "fixtures", "runs", "completed-tiny"), run, { recursive: true });
  rmSync(join(run, "onnx"), { recursive: true, force: true }); // exported here, from the Runs view
  writeFileSync(join(workspace, "answer.txt"), "What is 2 + 3? Think step by step.\n<answer>5</answer>\n");
  vs = await startSession({ name: "onnx", workspace, copyWorkspace: false, settings: { "rlstudio.pythonPath": PYTHON } });
  await vs.waitForActivation();
});

after(async () => {
  await vs?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

async function pick(label: string | RegExp): Promise<void> {
  const row = vs.page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first();
  await row.waitFor({ state: "visible", timeout: 30_000 });
  await row.click();
}

async function exportFromRunsView(precision: "fp32" | "int8"): Promise<void> {
  const checkpoint = vs.view("Runs").locator('.monaco-list-row[aria-level="3"]', { hasText: "step 3" }).first();
  const choice = vs.page.locator(".quick-input-list .monaco-list-row", { hasText: precision }).first();
  for (let attempt = 0; !(await choice.isVisible()); attempt++) {
    // A click that lands while the context menu is still opening is dropped: open it again.
    if (attempt === 3) assert.fail("the Export to ONNX quick pick never opened");
    await checkpoint.click({ button: "right" });
    const item = vs.page.locator(".context-view .action-label", { hasText: "Export to ONNX" }).first();
    await item.waitFor({ state: "visible" });
    await vs.page.waitForTimeout(300);
    await item.click();
    await choice.waitFor({ state: "visible", timeout: 5_000 }).catch(() => undefined);
  }
  await choice.click();
  const name = precision === "int8" ? "checkpoint-3-int8" : "checkpoint-3";
  await vs.waitForNotification(new RegExp(`exported ${name} `), 240_000);
  assert.ok(existsSync(join(workspace, ".rlstudio", "runs", "completed-tiny", "onnx", name, "export.json")));
}

async function selectAll(): Promise<Locator> {
  await vs.page.keyboard.press("Control+P");
  await vs.page.locator(".quick-input-widget .quick-input-box input").fill("answer.txt");
  await pick("answer.txt");
  const editor = vs.page.locator(".editor-instance .monaco-editor").first();
  await editor.locator(".view-line").first().click();
  await vs.page.keyboard.press("Control+A");
  return editor;
}

test("export a checkpoint from the Runs view", { timeout: 300_000 }, () =>
  vs.step("export", async () => {
    await vs.openViewContainer("RL Studio");
    await vs.treeItem("Runs", "completed-tiny").click();
    await vs.treeItem("Runs", /^Checkpoints/).click();
    await exportFromRunsView("fp32");
    await vs.page.waitForTimeout(500);
    const checkpoint = vs.view("Runs").locator('.monaco-list-row[aria-level="3"]', { hasText: "step 3" }).first();
    assert.match(await checkpoint.innerText(), /ONNX: fp32/);
  }),
);

test("score a selection: heat decorations and a hover", { timeout: 120_000 }, () =>
  vs.step("score", async () => {
    const editor = await selectAll();
    await vs.runCommand("RL Studio: Score Selection with Checkpoint");
    await pick(/checkpoint-3/);
    // Decorations: Monaco renders each decoration type as an inline span with a generated class.
    const decorated = editor.locator(".view-overlays div[class*='ced-'], .view-line span[class*='ced-']");
    await decorated.first().waitFor({ state: "attached", timeout: 60_000 });
    await vs.page.keyboard.press("ArrowUp"); // drop the selection: its highlight covers the heat
    // Monaco draws adjacent ranges of one colour as one overlay per line: both lines are coloured.
    for (let i = 0; (await decorated.count()) < 2; i++) {
      if (i > 40) assert.fail(`only ${await decorated.count()} coloured ranges`);
      await vs.page.waitForTimeout(250);
    }
    const word = editor.locator(".view-line span", { hasText: "step" }).first();
    await word.hover();
    const hover = vs.page.locator(".monaco-hover-content", { hasText: "logprob" }).first();
    await hover.waitFor({ state: "visible", timeout: 15_000 });
    const text = (await hover.innerText()).replace(/\u00a0/g, " ");
    assert.match(text, /completed-tiny · checkpoint-3/);
    assert.match(text, /p \d\.\d{4}/);
    assert.match(text, /most likely instead/);
    await vs.screenshot("onnx-scored");
  }),
);

test("compare the selection under fp32 and int8 exports: Δlogprob in the hover", { timeout: 300_000 }, () =>
  vs.step("compare", async () => {
    await exportFromRunsView("int8");
    const editor = await selectAll();
    await vs.runCommand("RL Studio: Compare Selection under Two Checkpoints");
    await pick(/checkpoint-3(?!-int8)/);
    await pick(/checkpoint-3-int8/);
    await vs.page.keyboard.press("ArrowUp");
    await editor.locator(".view-overlays div[class*='ced-']").first().waitFor({ state: "attached", timeout: 60_000 });
    await editor.locator(".view-line span", { hasText: "answer" }).first().hover();
    const hover = vs.page.locator(".monaco-hover-content", { hasText: "Δ logprob" }).first();
    await hover.waitFor({ state: "visible", timeout: 15_000 });
    const text = (await hover.innerText()).replace(/\u00a0/g, " ");
    assert.match(text, /checkpoint-3 vs completed-tiny · checkpoint-3-int8/);
    assert.match(text, /int8 export: mean \|Δ logprob\| vs torch/);
    await vs.screenshot("onnx-compare");
  }),
);

// Inline rollout inspection in a real VS Code, on the run the real trainer recorded
// (test/fixtures/runs/completed-tiny) with the dataset and reward file it trained on: open a rollout
// from the quick pick and from the inspector, hover a token and read the shard's numbers, jump to the
// next forking token, diff two samples, see the dataset annotations and the reward CodeLens numbers,
// take screenshots in the light, dark and high-contrast themes, and open an eval sample from Compare Checkpoints.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../scripts/lib.mjs";
import { SCALES } from "../../src/common/colorScale";
import { exact } from "../../src/common/tokenHeat";
import { nextForkingUnit } from "../../src/inline/heat";
import { buildRolloutDocument } from "../../src/inline/rolloutDocument";
import { RolloutReader, type RolloutDetail } from "../../src/runs/rollouts";
import { startSession, type Session } from "./harness";

const FIXTURE = join(ROOT, "test", "fixtures", "runs", "completed-tiny");
const SHARD = join(FIXTURE, "rollouts", "step-00000003.parquet");
// The rows and reward function trainer/scripts/make_fixture_run.py trained the fixture on.
const PAIRS = [[1, 2], [2, 2], [3, 4], [5, 1], [6, 3], [7, 7], [8, 1], [9, 0]];
const REWARDS = `def brittle(completions, log_extra=None, **kwargs):\n    return [min(1.0, len(str(c)) / 200) for c in completions]\n`;

const HEAT_COLORS = Object.values(SCALES).flatMap((scale) => scale.colors);

let vs: Session;
let detail: RolloutDetail;

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "rlstudio-e2e-inline-"));
  mkdirSync(join(dir, ".rlstudio", "runs"), { recursive: true });
  cpSync(FIXTURE, join(dir, ".rlstudio", "runs", "completed-tiny"), { recursive: true });
  const lines = PAIRS.map(([a, b]) => JSON.stringify({ question: `What is ${a} + ${b}?`, answer: String(a + b) }));
  writeFileSync(join(dir, "data.jsonl"), ["this line is not JSON", ...lines].join("\n") + "\n");
  writeFileSync(join(dir, "rewards.py"), REWARDS);
  return dir;
}

before(async () => {
  // Sample 1 of prompt 0 at step 3 is shard row 1 (rows are sorted by prompt, then sample).
  detail = await new RolloutReader().readRollout(SHARD, 1);
  vs = await startSession({ name: "inline", workspace: makeWorkspace(), copyWorkspace: false, settings: { "workbench.colorTheme": "Default Dark Modern" } });
  await vs.waitForActivation();
});

after(() => vs?.close());

/** Picks an item of the open quick pick by its label. */
async function choose(label: string): Promise<void> {
  const page = vs.page;
  const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { has: page.getByText(label, { exact: true }) }).first();
  await row.waitFor({ state: "visible", timeout: 20_000 });
  await row.click();
}

/** The text of the active editor's rendered lines. */
async function editorText(): Promise<string> {
  return (await vs.page.locator(".editor-instance .monaco-editor .view-lines").first().innerText()).replace(/\u00a0/g, " ");
}

async function openFile(name: string): Promise<void> {
  await vs.page.keyboard.press("Control+P");
  const input = vs.page.locator(".quick-input-widget .quick-input-box input");
  await input.fill(name);
  await choose(name);
}

async function setTheme(label: string): Promise<void> {
  await vs.runCommand("Preferences: Color Theme");
  const input = vs.page.locator(".quick-input-widget .quick-input-box input");
  await input.fill(label);
  await choose(label);
  await vs.page.waitForTimeout(500);
}

test("Open Rollout… opens a rollout document; a hover shows the shard's numbers", { timeout: 180_000 }, () =>
  vs.step("open-and-hover", async () => {
    await vs.runCommand("RL Studio: Open Rollout…");
    await choose("step 3");
    await choose("prompt 0");
    await choose("sample 1");
    await vs.page.locator(".tab", { hasText: "step 3 · prompt 0 · sample 1" }).first().waitFor({ timeout: 30_000 });
    const text = await editorText();
    assert.match(text, /RL Studio rollout · run completed-tiny · step 3 · prompt 0 · sample 1 of 4/);
    assert.match(text, /What is 3 \+ 4\? Answer in <answer><\/answer> tags\./);

    // Hover the longest piece of the completion and compare the card with the shard.
    const doc = buildRolloutDocument(detail, { runName: "completed-tiny", source: "step 3" });
    const unit = doc.layout.units.reduce((best, u) => (u.text.trim().length > best.text.trim().length ? u : best));
    const span = vs.page.locator(".editor-instance .view-line span span", { hasText: unit.text.trim() }).last();
    await span.hover();
    const hover = vs.page.locator(".monaco-hover table").first();
    await hover.waitFor({ state: "visible", timeout: 20_000 });
    const cells = (await hover.locator("tr").nth(1).locator("td").allInnerTexts()).map((c) => c.trim());
    const t = Number(cells[0]);
    assert.ok(t >= unit.start && t < unit.end, `hovered token ${t}, expected one of ${unit.start}…${unit.end - 1}`);
    assert.deepEqual(cells.slice(1, 2).concat(cells.slice(3, 6)), [
      String(detail.tokenIds[t]),
      exact(Math.exp(detail.logprobs[t])),
      exact(detail.logprobs[t]),
      exact(detail.entropies[t]),
    ]);
    assert.equal(cells[6], detail.lossMask[t] === 1 ? "gradient" : "no gradient");
    await vs.screenshot("rollout-hover");
    await vs.page.keyboard.press("Escape");
  }));

test("F8 goes to the next forking token", { timeout: 120_000 }, () =>
  vs.step("next-forking", async () => {
    const doc = buildRolloutDocument(detail, { runName: "completed-tiny", source: "step 3" });
    await vs.page.locator(".editor-instance .view-line").first().click(); // the header: before every token
    await vs.page.keyboard.press("Control+Home");
    await vs.page.keyboard.press("F8");
    const first = nextForkingUnit(doc, detail, -1, 1);
    const end = doc.ranges[first].end;
    const status = vs.page.locator("#status\\.editor\\.selection");
    await status.filter({ hasText: `Ln ${end.line + 1}, Col ${end.character + 1}` }).waitFor({ timeout: 10_000 });
    await vs.page.keyboard.press("F8");
    const second = doc.ranges[nextForkingUnit(doc, detail, first, 1)].end;
    await status.filter({ hasText: `Ln ${second.line + 1}, Col ${second.character + 1}` }).waitFor({ timeout: 10_000 });
  }));

test("screenshots of a rollout document in light, dark and high-contrast themes", { timeout: 180_000 }, () =>
  vs.step("themes", async () => {
    await vs.screenshot("rollout-dark");
    await setTheme("Light Modern");
    await vs.screenshot("rollout-light");
    await setTheme("Dark High Contrast");
    await vs.screenshot("rollout-high-contrast");
    await setTheme("Dark Modern");
  }));

test("diff two samples of a group, heat on both sides", { timeout: 120_000 }, () =>
  vs.step("diff", async () => {
    await vs.runCommand("RL Studio: Rollout: Diff with Another Sample or Step…");
    await choose("sample 2");
    const diff = vs.page.locator(".monaco-diff-editor").first();
    await diff.waitFor({ timeout: 30_000 });
    for (const side of [".editor.original", ".editor.modified"]) {
      await diff.locator(`${side} .view-lines`).filter({ hasText: "RL Studio rollout" }).waitFor({ timeout: 20_000 });
      // Background decorations are drawn in the overlay layer behind the text: count the ones in a scale colour.
      const heated = () =>
        diff.locator(`${side} .view-overlays div[class*="ced-"]`).evaluateAll((divs, colors) => divs.filter((d) => colors.includes(getComputedStyle(d).backgroundColor)).length, HEAT_COLORS);
      const deadline = Date.now() + 10_000;
      let count = await heated();
      while (count === 0 && Date.now() < deadline) {
        await vs.page.waitForTimeout(250);
        count = await heated();
      }
      assert.ok(count > 0, `no heat decorations on the ${side} side`);
    }
    await vs.screenshot("rollout-diff");
  }));

test("the dataset's lines show how the run did on each prompt; a non-JSON line shows nothing", { timeout: 120_000 }, () =>
  vs.step("dataset", async () => {
    await openFile("data.jsonl");
    await vs.page.locator(".tab", { hasText: "data.jsonl" }).first().waitFor();
    // Annotations are `after` decorations: CSS content, read from the computed style.
    const read = () =>
      vs.page.locator(".editor-instance .view-lines").first().evaluate((root) => {
        const found: { top: number; text: string }[] = [];
        for (const line of Array.from(root.querySelectorAll<HTMLElement>(".view-line"))) {
          for (const span of Array.from(line.querySelectorAll("span"))) {
            const content = getComputedStyle(span, "::after").content;
            if (content && content !== "none" && content !== "normal") found.push({ top: parseFloat(line.style.top), text: content.replace(/^"|"$/g, "") });
          }
        }
        return found.sort((a, b) => a.top - b.top).map((f) => f.text);
      });
    let annotations: string[] = [];
    const deadline = Date.now() + 30_000;
    while (annotations.length < 6 && Date.now() < deadline) {
      await vs.page.waitForTimeout(500);
      annotations = await read();
    }
    assert.equal(annotations.length, 6, `annotations: ${JSON.stringify(annotations)}`);
    for (const a of annotations) assert.match(a, /^step [123] · \d\/4 solved · reward \d/);
    await vs.page.locator(".statusbar-item", { hasText: "completed-tiny" }).first().waitFor();
    await vs.screenshot("dataset-annotations");

    // The hover of an annotated line lists the samples; a link opens one as a rollout document.
    const line = vs.page.locator(".editor-instance .view-line", { hasText: "What is" }).first();
    await line.locator("span span").first().hover();
    const hover = vs.page.locator(".monaco-hover", { hasText: "RL Studio" }).first();
    await hover.waitFor({ state: "visible", timeout: 20_000 });
    assert.match(await hover.innerText(), /solved = reward exact ≥ 1 \(the correctness reward: built-in exact_answer\)/);
    await hover.getByText(/^sample 1$/).first().click();
    await vs.page.locator(".tab.active", { hasText: /^step \d · prompt \d · sample 1\.rollout/ }).first().waitFor({ timeout: 30_000 });
  }));

test("reward code shows the function's numbers at the latest step", { timeout: 120_000 }, () =>
  vs.step("reward-lens", async () => {
    await openFile("rewards.py");
    const lens = vs.page.locator(".codelens-decoration", { hasText: /errors? at step 3 \(run completed-tiny\)/ }).first();
    await lens.waitFor({ timeout: 30_000 });
    assert.match(await lens.innerText(), /mean \d[\d.]* · std \d[\d.]* · [1-9]\d* errors? at step 3 \(run completed-tiny\)/);
    await vs.screenshot("reward-lens");
  }));

test("Open in Editor from the inspector opens the rollout it shows", { timeout: 120_000 }, () =>
  vs.step("from-inspector", async () => {
    await vs.runCommand("RL Studio: Inspect Rollouts");
    const inspector = await vs.frameWith(".tok");
    await vs.page.mouse.move(900, 700); // away from the tabs, whose tooltip could cover the toolbar
    await vs.page.keyboard.press("Escape");
    await inspector.getByText("Open in Editor", { exact: true }).click();
    const tab = vs.page.locator(".tab.active", { hasText: /^step 3 · prompt \d+ · sample \d+\.rollout/ }).first();
    await tab.waitFor({ timeout: 30_000 });
    assert.match(await editorText(), /RL Studio rollout · run completed-tiny · step 3 · prompt \d+ · sample \d+ of 4/);
  }));

test("the Runs view lists a step's prompts and samples; a sample opens as a rollout document", { timeout: 120_000 }, () =>
  vs.step("runs-view", async () => {
    await vs.openViewContainer("RL Studio");
    const expand = async (label: string | RegExp) => {
      const row = vs.treeItem("Runs", label);
      await row.waitFor({ timeout: 30_000 });
      if ((await row.getAttribute("aria-expanded")) !== "true") await row.locator(".monaco-tl-twistie").click();
    };
    await expand("completed-tiny");
    await expand(/^Rollouts/);
    await expand(/^step 3$/);
    await expand(/^prompt 0/);
    const sample = vs.treeItem("Runs", /^sample 2/);
    await sample.waitFor({ timeout: 30_000 });
    assert.match(await sample.innerText(), /reward \d/);
    await sample.click();
    await vs.page.locator(".tab.active", { hasText: "step 3 · prompt 0 · sample 2.rollout" }).first().waitFor({ timeout: 30_000 });
    assert.match(await editorText(), /step 3 · prompt 0 · sample 2 of 4/);
  }));

test("Open in Editor on a Compare Checkpoints sample opens the eval sample as a rollout document with heat", { timeout: 180_000 }, () =>
  vs.step("eval-sample", async () => {
    await vs.runCommand("RL Studio: Compare Checkpoints");
    const frame = await vs.frameWith(".mbody .mrow[data-prompt]");
    await frame.locator('.mbody .mrow[data-prompt="1"]').click();
    await frame.getByRole("button", { name: "Open sample 2 of checkpoint-3 in the editor" }).click();
    const tab = vs.page.locator(".tab.active", { hasText: "eval 20261129-232237-fixture · checkpoint checkpoint-3 · prompt 1 · sample 2.rollout" }).first();
    await tab.waitFor({ timeout: 30_000 });
    const text = await editorText();
    assert.match(text, /RL Studio evaluation sample · run completed-tiny · eval fixture \(20261129-232237-fixture\) · checkpoint checkpoint-3 · prompt 1 · sample 2 of 4/);
    assert.match(text, /correct \(brittle ≥ 0\.33\) · reward 0\.172/);
    assert.match(text, /What is 2 \+ 2\?/);
    const editor = vs.page.locator(".editor-instance").filter({ hasText: "RL Studio evaluation sample" }).first();
    const heated = () => editor.locator('.view-overlays div[class*="ced-"]').evaluateAll((divs, colors) => divs.filter((d) => colors.includes(getComputedStyle(d).backgroundColor)).length, HEAT_COLORS);
    const deadline = Date.now() + 10_000;
    let count = await heated();
    while (count === 0 && Date.now() < deadline) {
      await vs.page.waitForTimeout(250);
      count = await heated();
    }
    assert.ok(count > 0, "no heat decorations on the eval sample");
    await vs.screenshot("eval-sample-document");
  }));

// An untrusted workspace: runs can be browsed, but Start Run is refused with the explanation.
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../scripts/lib.mjs";
import { startSession, type Session } from "./harness";

let vs: Session;

before(async () => {
  // A workspace holding a finished run (the trainer's fixture).
  const workspace = mkdtempSync(join(tmpdir(), "rlstudio-e2e-untrusted-"));
  cpSync(join(ROOT, "test", "fixtures", "runs", "completed-tiny"), join(workspace, ".rlstudio", "runs", "completed-tiny"), { recursive: true });
  writeFileSync(join(workspace, "bad.rlstudio.yaml"), "name: bad\nmodel: {name: m}\ndata: {path: d.jsonl}\nrewards: [{name: f, ref: format}]\nalgorithm:\n  max_step: 3\n");
  vs = await startSession({ name: "trust", workspace, copyWorkspace: false, trust: false });
  await vs.waitForActivation();
});

after(async () => {
  await vs?.close();
});

test("runs are browsable in an untrusted workspace", { timeout: 120_000 }, () =>
  vs.step("browse", async () => {
    await vs.openViewContainer("RL Studio");
    await vs.treeItem("Runs", /Completed/).waitFor({ timeout: 60_000 });
  }));

test("Start Run is refused with the explanation", { timeout: 120_000 }, () =>
  vs.step("start-refused", async () => {
    await vs.runCommand("RL Studio: Start Run");
    await vs.waitForNotification(/does not run the trainer in an untrusted workspace/);
  }));

test("setting up the trainer environment and the demo are refused too", { timeout: 120_000 }, () =>
  vs.step("setup-refused", async () => {
    for (const command of ["RL Studio: Set Up Trainer Environment", "RL Studio: Run the Demo"]) {
      await vs.runCommand("Notifications: Clear All Notifications");
      await vs.page.locator(".notifications-toasts .notification-toast").first().waitFor({ state: "hidden", timeout: 10_000 }).catch(() => undefined);
      await vs.runCommand(command);
      await vs.waitForNotification(/does not run the trainer in an untrusted workspace/);
    }
  }));

test("run configs get schema diagnostics without executing anything", { timeout: 120_000 }, () =>
  vs.step("diagnostics", async () => {
    await vs.page.keyboard.press("Control+P");
    const input = vs.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.fill("bad.rlstudio.yaml");
    await vs.page.locator(".quick-input-list .monaco-list-row", { hasText: "bad.rlstudio.yaml" }).first().click();
    await vs.page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: 30_000 });
    await vs.runCommand("View: Focus Problems (Errors, Warnings, Infos)");
    await vs.page.locator(".markers-panel", { hasText: 'unknown key "max_step" (did you mean "max_steps"?)' }).first().waitFor({ timeout: 30_000 });
  }));

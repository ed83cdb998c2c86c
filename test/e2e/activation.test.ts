// The extension activates in a real VS Code, shows its view container, and logs to its output channel.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EXAMPLES, startSession, type Session } from "./harness";

let vs: Session;

before(async () => {
  vs = await startSession({ name: "activation", workspace: EXAMPLES });
});

after(async () => {
  await vs?.close();
});

test("the extension activates without an error", () =>
  vs.step("activates", async () => {
    await vs.waitForActivation();
    const failures = (await vs.notifications()).filter((text) => /RL Studio failed to activate/.test(text));
    assert.deepEqual(failures, []);
  }));

test("the RL Studio container shows the Runs view", () =>
  vs.step("runs-view", async () => {
    await vs.openViewContainer("RL Studio");
    await vs.view("Runs").waitFor({ state: "visible", timeout: 30_000 });
    // Asked again while open (as after a reload that restored it): it stays open, not toggled shut.
    await vs.openViewContainer("RL Studio");
    await vs.page.waitForTimeout(1_000);
    assert.ok(await vs.sidebarShows("RL Studio", 0), "the RL Studio container is still open");
    await vs.view("Runs").waitFor({ state: "visible", timeout: 5_000 });
    await vs.screenshot("rl-studio-container");
  }));

test("RL Studio: Show Logs opens the extension's log with its activation line", () =>
  vs.step("show-logs", async () => {
    await vs.runCommand("RL Studio: Show Logs");
    const text = await vs.outputText(/RL Studio \d+\.\d+\.\d+ activated/);
    assert.match(text, /\[info\] RL Studio \d+\.\d+\.\d+ activated \(workspace trusted\)/);
  }));

describe("in an untrusted workspace", () => {
  let untrusted: Session;

  before(async () => {
    await vs?.close();
    untrusted = await startSession({ name: "activation-untrusted", workspace: EXAMPLES, trust: false });
  });

  after(async () => {
    await untrusted?.close();
  });

  test("the extension still activates (limited support) and knows the workspace is untrusted", () =>
    untrusted.step("untrusted", async () => {
      await untrusted.waitForActivation();
      const text = await untrusted.readOutputChannel("RL Studio", /activated/);
      assert.match(text, /RL Studio \d+\.\d+\.\d+ activated \(workspace untrusted\)/);
    }));
});

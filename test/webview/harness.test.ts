// The webview harness itself: a test-only app (fixtures/theme-probe) in each theme, the
// acquireVsCodeApi stand-in (posted messages, host messages, state), and the CSP.
import assert from "node:assert/strict";
import { test } from "node:test";
import { THEMES, openApp, themeVariable } from "./harness";

/** "#1f1f1f" → "rgb(31, 31, 31)", the form getComputedStyle returns. */
function rgb(hex: string): string {
  const digits = hex.replace("#", "");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

for (const theme of THEMES) {
  test(`the probe app follows the ${theme} theme`, async () => {
    const app = await openApp("theme-probe", { theme });
    const background = await app.computedStyle("#panel", "background-color");
    const foreground = await app.computedStyle("#panel", "color");
    assert.equal(background, rgb(themeVariable(theme, "--vscode-editor-background")));
    assert.equal(foreground, rgb(themeVariable(theme, "--vscode-editor-foreground")));
    assert.match(await app.page.evaluate(() => document.body.className), new RegExp(`vscode-${theme}`));
    await app.screenshot(`theme-probe-${theme}`);
    assert.deepEqual(app.errors, []);
    assert.deepEqual(await app.cspViolations(), []);
    await app.close();
  });
}

test("the three themes give three different backgrounds", () => {
  const backgrounds = new Set(THEMES.map((theme) => themeVariable(theme, "--vscode-editor-background")));
  assert.equal(backgrounds.size, 3);
});

test("posted messages are recorded and host messages reach the app as text", async () => {
  const app = await openApp("theme-probe");
  assert.deepEqual(await app.waitForPosted((m) => m.type === "probe/ready"), { type: "probe/ready", clicks: 0 });
  const hostile = '<img src=x onerror="document.title=1">';
  await app.sendToApp({ type: "probe/echo", text: hostile });
  assert.deepEqual(await app.waitForPosted((m) => m.type === "probe/echoed"), { type: "probe/echoed", text: hostile });
  assert.equal(await app.page.locator("#echo").textContent(), hostile);
  assert.equal(await app.page.locator("#echo img").count(), 0);
  await app.close();
});

test("state saved with setState comes back through getState after a reopen", async () => {
  let app = await openApp("theme-probe", { initialState: { clicks: 2 } });
  await app.page.click("#count");
  assert.deepEqual(await app.state(), { clicks: 3 });
  app = await app.reopen();
  assert.deepEqual(await app.waitForPosted((m) => m.type === "probe/ready"), { type: "probe/ready", clicks: 3 });
  assert.equal(await app.page.locator("#count").textContent(), "clicked 3");
  await app.close();
});

test("the CSP blocks what the extension's CSP blocks, and the harness reports it", async () => {
  const app = await openApp("theme-probe", { bodyHtml: '<div id="app"></div><img src="https://example.com/x.png">' });
  await app.page.waitForFunction(() => window.__host.cspViolations.length > 0);
  assert.match((await app.cspViolations())[0], /^img-src/);
  await app.close();
});

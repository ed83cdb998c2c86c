// End-to-end harness: a real VS Code (code-server 4.99.4) with the packaged extension installed,
// driven through Debian's Chromium with playwright-core. `npm test -- --suite e2e` installs
// code-server and builds build/rl-studio.vsix before the tests run.
//
//   let vs: Session;
//   before(async () => { vs = await startSession({ name: "runs", workspace: EXAMPLES }); });
//   after(() => vs?.close());
//   test("shows runs", () => vs.step("shows runs", async () => { ... }));
//
// One session (one code-server + one browser) per test file keeps start-up cost low on small machines.
// `step` saves a screenshot and the logs under test-results/e2e/<session>/ when its body throws.

import { type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { installExtension, startCodeServer, stopCodeServer } from "../../scripts/codeServer.mjs";
import { ROOT, VSIX_PATH, freePort } from "../../scripts/lib.mjs";

export const EXAMPLES = join(ROOT, "examples");
export const RESULTS_DIR = join(ROOT, "test-results", "e2e");
export const EXTENSION_ID = "rl-studio.rl-studio";
const CHROMIUM = process.env.RLSTUDIO_CHROMIUM ?? "/usr/bin/chromium";

export interface SessionOptions {
  /** Names the session's folder under test-results/e2e/. */
  name: string;
  /** The workspace folder to open. */
  workspace: string;
  /** Copy the workspace into a temporary folder first (default), so tests never change the repo. */
  copyWorkspace?: boolean;
  /** false: workspace trust is on and the folder opens in restricted mode. Default true. */
  trust?: boolean;
  /** Extra user settings (settings.json). */
  settings?: Record<string, unknown>;
}

const DEFAULT_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "extensions.ignoreRecommendations": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "git.enabled": false,
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.banner": "never",
};

/** Starts code-server with the packaged extension and opens the workspace in Chromium. */
export async function startSession(options: SessionOptions): Promise<Session> {
  if (!existsSync(VSIX_PATH)) throw new Error(`${VSIX_PATH} is missing: run the e2e suite through \`npm test -- --suite e2e\``);
  const temp = mkdtempSync(join(tmpdir(), `rlstudio-e2e-${options.name}-`));
  const userDataDir = join(temp, "user-data");
  const extensionsDir = join(temp, "extensions");
  mkdirSync(join(userDataDir, "User"), { recursive: true });
  writeFileSync(join(userDataDir, "User", "settings.json"), JSON.stringify({ ...DEFAULT_SETTINGS, ...options.settings }, null, 2));
  installExtension(VSIX_PATH, userDataDir, extensionsDir);

  let workspace = resolve(options.workspace);
  if (options.copyWorkspace ?? true) {
    const copy = join(temp, "workspace");
    cpSync(workspace, copy, { recursive: true });
    workspace = copy;
  }

  const port = await freePort();
  const logFile = join(temp, "code-server.log");
  const server = await startCodeServer({ port, userDataDir, extensionsDir, folder: workspace, trust: options.trust ?? true, logFile });
  const session = new Session(options.name, temp, workspace, server, logFile);
  try {
    await session.open(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  } catch (error) {
    await session.saveArtifacts("startup");
    await session.close();
    throw error;
  }
  return session;
}

export class Session {
  private browser: Browser | undefined;
  private currentPage: Page | undefined;

  constructor(
    readonly name: string,
    /** Temporary folder holding user data, extensions, the workspace copy and the code-server log. */
    readonly temp: string,
    /** The workspace folder code-server opened. */
    readonly workspace: string,
    private readonly server: ChildProcess,
    private readonly logFile: string,
  ) {}

  get page(): Page {
    if (!this.currentPage) throw new Error("the session has no page: it failed to start or was closed");
    return this.currentPage;
  }

  async open(url: string): Promise<void> {
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    this.currentPage = await this.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await this.page.goto(url);
    await this.page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  }

  /** Runs `body`; when it throws, saves a screenshot and the logs under test-results/e2e/<session>/, then rethrows. */
  async step<T>(name: string, body: (session: Session) => Promise<T>): Promise<T> {
    try {
      return await body(this);
    } catch (error) {
      await this.saveArtifacts(name);
      throw error;
    }
  }

  // --- driving the workbench ----------------------------------------------------------------------

  /** Runs a command through the command palette by its full title, e.g. "RL Studio: Show Logs". */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    await page.keyboard.press("Control+Shift+P");
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.fill(`>${title}`);
    const row = page.locator(".quick-input-list .monaco-list-row", { has: page.getByText(title, { exact: true }) }).first();
    await row.waitFor({ state: "visible", timeout: 15_000 });
    await row.click();
  }

  /**
   * Opens a view container from the activity bar by its title, e.g. "RL Studio". Whether it is open is
   * read from the sidebar itself (visible, its title the container's): the activity bar entry's
   * aria attributes never say so in this code-server, and a click on the entry of an open container
   * closes it. After a window reload the workbench restores the sidebar on its own, maybe just after
   * a click: so the state is judged once it has settled, and the click repeated if it is closed.
   */
  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ state: "visible", timeout: 30_000 });
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.sidebarShows(title, 2_000)) return;
      await item.click();
      if (await this.sidebarShows(title, 5_000)) {
        await this.page.waitForTimeout(500); // a restore still under way would close it again now
        if (await this.sidebarShows(title, 0)) return;
      }
    }
    throw new Error(`the ${title} view container did not stay open`);
  }

  /** Whether the sidebar is visible and shows this view container, waiting up to `timeoutMs` for it. */
  async sidebarShows(title: string, timeoutMs: number): Promise<boolean> {
    const heading = this.page.locator(".part.sidebar .composite.title .title-label h2");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // "RL Studio", or "RL Studio: Runs" while the container shows one view.
      const text = (await heading.isVisible()) ? ((await heading.textContent())?.trim().toLowerCase() ?? '') : '';
      const shown = text === title.toLowerCase() || text.startsWith(`${title.toLowerCase()}:`);
      if (shown || Date.now() >= deadline) return shown;
      await this.page.waitForTimeout(100);
    }
  }

  /** The activity bar entry of a view container. */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.activitybar .action-item .action-label[aria-label^="${title}"]`).first();
  }

  /** A view pane (e.g. "Runs"), found by its header. */
  view(name: string): Locator {
    return this.page.locator(".pane", { has: this.page.locator(".pane-header", { hasText: new RegExp(`^\\s*${escapeRegExp(name)}`, "i") }) }).first();
  }

  /** A tree item in a view, by the text of its label. */
  treeItem(viewName: string, label: string | RegExp): Locator {
    return this.view(viewName).locator(".monaco-list-row", { hasText: label }).first();
  }

  /** The content frame of a webview; `index` picks among several (default: the last opened). */
  webviewFrame(index = -1): FrameLocator {
    return this.page.frameLocator(`iframe.webview.ready >> nth=${index}`).frameLocator("#active-frame");
  }

  /** The webview frame whose document has `selector`, whichever webview it is (panels come back in any order after a reload). */
  async frameWith(selector: string, timeoutMs = 60_000): Promise<FrameLocator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const count = await this.page.locator("iframe.webview.ready").count();
      for (let i = 0; i < count; i++) {
        const frame = this.webviewFrame(i);
        if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Waits for a notification toast whose text matches, and returns it. */
  async waitForNotification(text: string | RegExp, timeoutMs = 20_000): Promise<Locator> {
    const toast = this.page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
    await toast.waitFor({ state: "visible", timeout: timeoutMs });
    return toast;
  }

  /** The text of every visible notification toast. */
  async notifications(): Promise<string[]> {
    return this.page.locator(".notifications-toasts .notification-toast").allInnerTexts();
  }

  /**
   * Shows an output channel in the Output panel and returns its text, once `expected` appears
   * (when given). Reads the rendered editor lines: enough for short logs.
   */
  async readOutputChannel(channel: string, expected?: string | RegExp, timeoutMs = 20_000): Promise<string> {
    await this.runCommand("Output: Show Output Channels...");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.fill(channel);
    await this.page.locator(".quick-input-list .monaco-list-row", { has: this.page.getByText(channel, { exact: true }) }).first().click();
    return this.outputText(expected, timeoutMs);
  }

  /** The text of the channel shown in the Output panel, once `expected` appears (when given). */
  async outputText(expected?: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const lines = this.page.locator(".panel .output-view .monaco-editor .view-lines").first();
    await lines.waitFor({ state: "visible", timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = (await lines.innerText()).replace(/\u00a0/g, " ");
      const found = expected === undefined || (typeof expected === "string" ? text.includes(expected) : expected.test(text));
      if (found) return text;
      if (Date.now() > deadline) throw new Error(`output panel never showed ${String(expected)}; it shows:\n${text}`);
      await this.page.waitForTimeout(250);
    }
  }

  // --- logs written by code-server ------------------------------------------------------------------

  /** The extension host's log (activation events and errors). */
  extensionHostLog(): string {
    return this.logFiles((path) => /exthost\d*[/\\]remoteexthost\.log$/.test(path))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
  }

  /** Waits until the extension host has activated this extension, or reports why it failed. */
  async waitForActivation(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = this.extensionHostLog();
      const failure = activationFailure(log);
      if (failure) throw new Error(`the extension failed to activate:\n${failure}`);
      if (log.includes(`_doActivateExtension ${EXTENSION_ID}`)) {
        // The activation line is written before activate() runs; give a throwing activate() time to be logged.
        await this.page.waitForTimeout(1_000);
        const late = activationFailure(this.extensionHostLog());
        if (late) throw new Error(`the extension failed to activate:\n${late}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`the extension was not activated within ${timeoutMs / 1000}s`);
      await this.page.waitForTimeout(250);
    }
  }

  private logFiles(match: (path: string) => boolean): string[] {
    const logs = join(this.temp, "user-data", "logs");
    if (!existsSync(logs)) return [];
    return readdirSync(logs, { recursive: true })
      .map((entry) => join(logs, String(entry)))
      .filter(match);
  }

  // --- artifacts and shutdown ---------------------------------------------------------------------

  /** Saves a screenshot and the code-server and extension host logs under test-results/e2e/<session>/. */
  async saveArtifacts(label: string): Promise<string> {
    const dir = join(RESULTS_DIR, this.name);
    mkdirSync(dir, { recursive: true });
    const slug = label.replace(/[^\w.-]+/g, "-");
    if (this.currentPage) await this.currentPage.screenshot({ path: join(dir, `${slug}.png`) }).catch(() => undefined);
    if (existsSync(this.logFile)) cpSync(this.logFile, join(dir, "code-server.log"));
    const logs = join(this.temp, "user-data", "logs");
    if (existsSync(logs)) cpSync(logs, join(dir, "vscode-logs"), { recursive: true });
    return dir;
  }

  /** Saves a screenshot to test-results/e2e/<session>/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    const dir = join(RESULTS_DIR, this.name);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    this.browser = undefined;
    this.currentPage = undefined;
    stopCodeServer(this.server);
    await new Promise((r) => setTimeout(r, 300));
    rmSync(this.temp, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The extension host's report of this extension's activation error (with the error line after it), if any. */
function activationFailure(log: string): string | undefined {
  const lines = log.split("\n");
  const index = lines.findIndex((line) => line.includes(`Activating extension ${EXTENSION_ID} failed`));
  return index < 0 ? undefined : lines.slice(index, index + 2).join("\n");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Webview test harness: runs a real webview bundle (dist/webview/<name>.js, built by esbuild) in
// headless Chromium, in a page that stands in for VS Code's webview host:
//   - `acquireVsCodeApi()` records what the app posts and keeps getState/setState state;
//   - the --vscode-* theme variables of light, dark or high contrast (test/webview/themes/, taken
//     from a real VS Code) and the body class VS Code sets (vscode-light, vscode-dark, vscode-high-contrast);
//   - a strict CSP like the extension's (default-src 'none', scripts by nonce); violations are recorded.
//
//   const app = await openApp("inspector", { theme: "dark", initialState: {...} });
//   await app.sendToApp({ kind: "notification", method: "inspector/steps/didChange", params: {...} }); // typed by the protocol
//   await app.waitForPosted((m) => m.method === "ready");
//   await app.screenshot("inspector-dark");
//
// Apps under test/webview/fixtures/<name>/main.ts are test-only and built here on first use.
// The browser closes by itself after the test file's last test.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, normalize, resolve } from "node:path";
import { after } from "node:test";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import type { DashboardProtocol } from "../../src/webviews/dashboard/protocol";
import type { InspectorProtocol } from "../../src/webviews/inspector/protocol";
import type { KpEditorProtocol } from "../../src/webviews/kpEditor/protocol";
import type { RewardLabProtocol } from "../../src/webviews/rewardLab/protocol";
import type { NotificationMethod, Protocol, WireMessage } from "../../src/webviews/shared/protocol";
import { contentSecurityPolicy } from "../../src/webviews/shared/html";

const ROOT = resolve(__dirname, "..", "..");
const DIST = join(ROOT, "dist", "webview");
const FIXTURES = join(__dirname, "fixtures");
const FIXTURES_OUT = join(ROOT, "test-results", "webview-fixtures");
const THEMES_DIR = join(__dirname, "themes");
export const RESULTS_DIR = join(ROOT, "test-results", "webview");
const CHROMIUM = process.env.RLSTUDIO_CHROMIUM ?? "/usr/bin/chromium";

export const THEMES = ["light", "dark", "high-contrast"] as const;
export type Theme = (typeof THEMES)[number];
const BODY_CLASS: Record<Theme, string> = { light: "vscode-light", dark: "vscode-dark", "high-contrast": "vscode-high-contrast" };

export interface OpenOptions {
  theme?: Theme;
  /** What `getState()` returns before the app calls `setState` (a restored webview's state). */
  initialState?: unknown;
  /** The page body before the app runs (trusted test markup). Default: `<div id="app"></div>`. */
  bodyHtml?: string;
  viewport?: { width: number; height: number };
  /** The page's Content-Security-Policy. Default: the extension's own (src/webviews/shared/html.ts). */
  csp?: (origin: string, nonce: string) => string;
}

/** A posted message as the app sent it (structured-cloned, like VS Code does). */
export type Message = Record<string, unknown>;

/** The protocol of each webview app (test-only fixtures have none). */
interface AppProtocols {
  dashboard: DashboardProtocol;
  inspector: InspectorProtocol;
  kpEditor: KpEditorProtocol;
  rewardLab: RewardLabProtocol;
}

/** What the host may send an app of protocol P: a notification of P, or the answer to a request. */
export type HostMessage<P extends Protocol> =
  | { [M in NotificationMethod<P>]: { kind: "notification"; method: M; params: P["notifications"][M] } }[NotificationMethod<P>]
  | Extract<WireMessage, { kind: "response" }>;

/** Opens an app in a fresh page; `sendToApp` takes the messages of its protocol. */
export async function openApp<N extends keyof AppProtocols>(name: N, options?: OpenOptions): Promise<App<HostMessage<AppProtocols[N]>>>;
/** A test-only app (test/webview/fixtures/<name>/): any message. */
export async function openApp(name: string, options?: OpenOptions): Promise<App>;
export async function openApp(name: string, options: OpenOptions = {}): Promise<App> {
  const script = await locateBundle(name);
  const server = await startServer();
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1000, height: 700 } });
  const app = new App(name, page, options);
  const id = randomBytes(8).toString("hex");
  pages.set(id, renderPage(script, options));
  await page.goto(`${server.origin}/page/${id}`);
  return app;
}

/** An app in a page; `ToApp` is what the host may send it. */
export class App<ToApp = Message> {
  /** Uncaught exceptions and console errors in the page. */
  readonly errors: string[] = [];

  constructor(
    readonly name: string,
    readonly page: Page,
    readonly options: OpenOptions,
  ) {
    page.on("pageerror", (error) => this.errors.push(error.stack ?? error.message));
    page.on("console", (message) => {
      if (message.type() === "error") this.errors.push(message.text());
    });
  }

  /** Every message the app has posted to the host, in order. */
  async posted(): Promise<Message[]> {
    return this.page.evaluate(() => window.__host.posted);
  }

  /** Waits for a posted message that matches `predicate` and returns it. */
  async waitForPosted(predicate: (message: Message) => boolean, timeoutMs = 5_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.posted()).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.name} posted no matching message within ${timeoutMs} ms; it posted ${JSON.stringify(await this.posted())}`);
      await this.page.waitForTimeout(25);
    }
  }

  /** Sends a message from the host to the app (a `message` event on its window, as in VS Code). */
  async sendToApp(message: ToApp): Promise<void> {
    await this.page.evaluate((data) => window.postMessage(data, "*"), message);
  }

  /** The state the app last saved with `setState` (or the initial state). */
  async state(): Promise<unknown> {
    return this.page.evaluate(() => window.__host.state);
  }

  /** CSP violations reported in the page (`directive: blocked URI`). */
  async cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => window.__host.cspViolations);
  }

  /** Closes this page and opens the app again with its saved state, as VS Code does when a hidden webview is restored. */
  async reopen(): Promise<App<ToApp>> {
    const state = await this.state();
    await this.close();
    return (await openApp(this.name, { ...this.options, initialState: state })) as App<ToApp>;
  }

  /** The computed value of a CSS property of the first element matching `selector`. */
  async computedStyle(selector: string, property: string): Promise<string> {
    return this.page.locator(selector).first().evaluate((element, name) => getComputedStyle(element).getPropertyValue(name), property);
  }

  /** Saves a screenshot to test-results/webview/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const path = join(RESULTS_DIR, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

export type RequestHandler = (params: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * Answers the app's requests like the host does, with `handlers` by method (an unknown method or a
 * throwing handler gets an error reply). Call `stop()` before closing the page.
 */
export function serveRequests(app: App, handlers: Record<string, RequestHandler>): { stop(): Promise<void> } {
  const answered = new Set<number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const m of await app.posted().catch(() => [] as Message[])) {
        if (m.kind !== "request" || answered.has(m.id as number)) continue;
        answered.add(m.id as number);
        const handler = handlers[m.method as string];
        try {
          if (!handler) throw new Error(`unhandled ${String(m.method)}`);
          await app.sendToApp({ kind: "response", id: m.id as number, result: await handler(m.params as Record<string, unknown>) });
        } catch (error) {
          await app.sendToApp({ kind: "response", id: m.id as number, error: (error as Error).message }).catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The value of a --vscode-* variable in a theme file, e.g. themeVariable("dark", "--vscode-editor-background"). */
export function themeVariable(theme: Theme, name: string): string {
  const match = readTheme(theme).match(new RegExp(`^\\s*${name}:\\s*([^;]+);`, "m"));
  if (!match) throw new Error(`${name} is not defined in test/webview/themes/${theme}.css`);
  return match[1].trim();
}

// --- the page ---------------------------------------------------------------------------------------

interface HostRecord {
  posted: Message[];
  state: unknown;
  cspViolations: string[];
}

declare global {
  interface Window {
    __host: HostRecord;
  }
}

/**
 * Stands in for VS Code's `acquireVsCodeApi` (page script; plain JavaScript so that nothing the test
 * transpiler adds can leak into the page). Records into `window.__host`.
 */
const HOST_SCRIPT = `(function (initialState) {
  const host = { posted: [], state: initialState, cspViolations: [] };
  window.__host = host;
  document.addEventListener("securitypolicyviolation", (event) => host.cspViolations.push(event.violatedDirective + ": " + event.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error("An instance of the VS Code API has already been acquired");
    acquired = true;
    return Object.freeze({
      postMessage(message) { host.posted.push(structuredClone(message)); },
      getState() { return host.state; },
      setState(state) { host.state = structuredClone(state); return state; },
    });
  };
})`;

const pages = new Map<string, (origin: string) => string>();

function renderPage(script: { dir: string; file: string; css?: string }, options: OpenOptions): (origin: string) => string {
  const theme = options.theme ?? "dark";
  return (origin) => {
    const nonce = randomBytes(16).toString("base64");
    const base = `${origin}/${script.dir}`;
    // The extension's own policy (src/webviews/shared/html.ts), with this server as the resource origin.
    const csp = (options.csp ?? contentSecurityPolicy)(origin, nonce);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">
${readTheme(theme)}
html { background-color: var(--vscode-editor-background); }
body { margin: 0; padding: 0 20px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-weight: var(--vscode-font-weight); font-size: var(--vscode-font-size); }
</style>
${script.css ? `<link rel="stylesheet" href="${base}/${script.css}">` : ""}
<script nonce="${nonce}">${HOST_SCRIPT}(${JSON.stringify(options.initialState ?? null).replace(/</g, "\\u003c")});</script>
</head>
<body class="${BODY_CLASS[theme]}" data-vscode-theme-kind="${BODY_CLASS[theme]}">
${options.bodyHtml ?? '<div id="app"></div>'}
<script nonce="${nonce}" src="${base}/${script.file}"></script>
</body>
</html>`;
  };
}

function readTheme(theme: Theme): string {
  return readFileSync(join(THEMES_DIR, `${theme}.css`), "utf8");
}

// --- bundles, server and browser (one of each per test file) -------------------------------------------

/** Finds dist/webview/<name>.js, or builds test/webview/fixtures/<name>/main.ts. */
async function locateBundle(name: string): Promise<{ dir: string; file: string; css?: string }> {
  const fixture = join(FIXTURES, name, "main.ts");
  if (existsSync(fixture)) {
    await esbuild.build({
      entryPoints: { [name]: fixture },
      outdir: FIXTURES_OUT,
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      tsconfig: join(ROOT, "tsconfig.webview.json"),
      logLevel: "warning",
    });
    return withCss("fixtures", FIXTURES_OUT, name);
  }
  if (!existsSync(join(DIST, `${name}.js`))) {
    throw new Error(`dist/webview/${name}.js does not exist: build first (npm test -- --suite webview builds it), or check webview/${name}/main.ts`);
  }
  return withCss("dist", DIST, name);
}

function withCss(urlDir: string, dir: string, name: string): { dir: string; file: string; css?: string } {
  return { dir: urlDir, file: `${name}.js`, css: existsSync(join(dir, `${name}.css`)) ? `${name}.css` : undefined };
}

let serverPromise: Promise<{ server: Server; origin: string }> | undefined;

function startServer(): Promise<{ server: Server; origin: string }> {
  serverPromise ??= new Promise((resolvePromise, reject) => {
    const roots: Record<string, string> = { dist: DIST, fixtures: FIXTURES_OUT };
    let origin = "";
    const server = createServer((request, response) => {
      const [, first, ...rest] = (request.url ?? "/").split("?")[0].split("/");
      if (first === "page" && pages.has(rest[0])) {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(pages.get(rest[0])?.(origin));
        return;
      }
      if (first === "favicon.ico") {
        response.writeHead(204).end();
        return;
      }
      const root = roots[first];
      const path = root ? normalize(join(root, ...rest.map(decodeURIComponent))) : "";
      if (!root || !path.startsWith(root + "/") || !existsSync(path)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": contentType(path) }).end(readFileSync(path));
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      resolvePromise({ server, origin });
    });
  });
  return serverPromise;
}

function contentType(path: string): string {
  const types: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".ttf": "font/ttf", ".woff2": "font/woff2", ".png": "image/png" };
  return types[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
}

let browserPromise: Promise<Browser> | undefined;

function launchBrowser(): Promise<Browser> {
  browserPromise ??= chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return browserPromise;
}

after(async () => {
  if (browserPromise) await (await browserPromise).close();
  if (serverPromise) (await serverPromise).server.close();
});

// Runs a built webview app (dist/webview/<app>.js) in headless Chromium the way VS Code does: the
// real page from src/webviews/shared/html.ts (CSP, nonce, inlined state), a stand-in for
// acquireVsCodeApi, and a Node-side `answer` function that plays the host. Used by the benchmark.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderPage } from '../src/webviews/shared/html';
import type { WireMessage } from '../src/webviews/shared/protocol';

const ROOT = join(__dirname, '..');
const ORIGIN = 'https://webview.rlstudio.test';

export type Theme = 'light' | 'dark' | 'high-contrast';

export interface AppPage {
  page: Page;
  /** Every message the app posted. */
  posted: WireMessage[];
  /** Send a host → app message. */
  send(message: WireMessage): Promise<void>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.RLSTUDIO_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * Opens an app with an initial state; `answer` replies to its requests (return a value, or throw
 * to send an error).
 */
export async function openApp(
  browser: Browser,
  app: string,
  options: {
    initialState: unknown;
    theme?: Theme;
    answer?: (method: string, params: unknown) => unknown;
    width?: number;
    height?: number;
    savedState?: unknown;
    /** The checkout whose dist/webview/ bundles are served (default: this one). */
    root?: string;
  },
): Promise<AppPage> {
  const theme = options.theme ?? 'dark';
  const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
  const posted: WireMessage[] = [];
  // Playwright carries typed arrays (the dashboard's Float64Array columns) as typed arrays, as
  // VS Code's postMessage does.
  const send = async (message: WireMessage) => {
    await page.evaluate((m) => window.postMessage(m, '*'), message);
  };
  await page.exposeFunction('__rlstudioPost', async (message: WireMessage) => {
    posted.push(message);
    if (message.kind === 'request' && options.answer) {
      try {
        const result = await options.answer(message.method, message.params);
        await send({ kind: 'response', id: message.id, result });
      } catch (error) {
        await send({ kind: 'response', id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  });
  // A string, not a function: tsx would add helpers the page does not have. Besides the API
  // stand-in it records when the last host message arrived (before the app's own listener runs)
  // and how long its deserialisation took.
  await page.addInitScript(`{
    window.addEventListener('message', (e) => {
      // Reading data deserialises the message (Chromium does it lazily): timed apart from rendering.
      const start = performance.now();
      void e.data;
      window.__receivedAt = performance.now();
      window.__deserializeMs = window.__receivedAt - start;
    });
    let state = ${JSON.stringify(options.savedState ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__rlstudioPost(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => { state = s; window.__rlstudioState = s; },
    });
  }`);
  const themeCss = readFileSync(join(ROOT, 'test/webview/themes', `${theme}.css`), 'utf8');
  const bodyClass = theme === 'light' ? 'vscode-light' : theme === 'dark' ? 'vscode-dark' : 'vscode-high-contrast';
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') {
      const html = renderPage({
        title: app,
        cspSource: ORIGIN,
        scriptUri: `${ORIGIN}/dist/webview/${app}.js`,
        styleUri: `${ORIGIN}/dist/webview/${app}.css`,
        initialState: options.initialState,
      })
        .replace('<body>', `<body class="${bodyClass}">`)
        .replace('</head>', `<link rel="stylesheet" href="${ORIGIN}/theme.css"></head>`);
      await route.fulfill({ contentType: 'text/html', body: html });
    } else if (path === '/theme.css') {
      await route.fulfill({ contentType: 'text/css', body: themeCss });
    } else if (path.startsWith('/dist/webview/')) {
      const file = join(options.root ?? ROOT, path);
      const type = path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      await route.fulfill({ contentType: type, body: readFileSync(file) });
    } else {
      await route.fulfill({ status: 404, body: '' });
    }
  });
  await page.goto(`${ORIGIN}/index.html`);
  return { page, posted, send, close: () => page.close() };
}

/**
 * Arms a probe: the next time `selector` matches at least `count` elements, it records the time of
 * the frame after that (requestAnimationFrame, then a task: the frame has been produced).
 */
export async function armPaintProbe(page: Page, selector: string, count = 1, alsoCount?: string): Promise<void> {
  await armProbe(page, `document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count}`, alsoCount);
}

/**
 * Arms a probe: the first time `condition` (a JS expression) holds after a change to the page's
 * elements or attributes, it records the time of the frame after that; `alsoCount` is counted in it.
 */
export async function armProbe(page: Page, condition: string, alsoCount?: string): Promise<void> {
  await page.evaluate(`{
    window.__paintedAt = undefined;
    window.__paintedCount = undefined;
    const probe = new MutationObserver(() => {
      if (!(${condition})) return;
      probe.disconnect();
      requestAnimationFrame(() => {
        // What that frame showed (e.g. how many charts were drawn in it), counted before anything later runs.
        ${alsoCount ? `window.__paintedCount = document.querySelectorAll(${JSON.stringify(alsoCount)}).length;` : ''}
        setTimeout(() => { window.__paintedAt = performance.now(); }, 0);
      });
    });
    probe.observe(document.body, { childList: true, subtree: true, attributes: true });
  }`);
}

// Metric charts (cards with data-metric; the Selection section's heatmap cards are not timed here).
const CREATED = `document.querySelectorAll('.chart-card[data-metric] canvas[style*="height"]').length`;
const DRAWN = `document.querySelectorAll('.chart-card[data-metric][data-drawn]').length`;
const DRAWS = `[...document.querySelectorAll('.chart-card[data-metric][data-draws]')].reduce((n, card) => n + Number(card.dataset.draws), 0)`;

/**
 * Dashboard: the frame in which, with at least `cards` chart cards made, every chart created (those
 * on screen) is drawn with its lines (the card's data-drawn, set once the chart worker's lines are
 * drawn); counts the drawn charts in it.
 */
export async function armChartsDrawnProbe(page: Page, cards: number): Promise<void> {
  await armProbe(page, `document.querySelectorAll('.chart-card[data-metric]').length >= ${cards} && ${CREATED} > 0 && ${DRAWN} === ${CREATED}`, '.chart-card[data-metric][data-drawn]');
}

/** Dashboard: the frame in which every chart drawn so far has been drawn again (data-draws grew by one each). */
export async function armChartsRedrawnProbe(page: Page): Promise<void> {
  const before = (await page.evaluate(DRAWS)) as number;
  const charts = (await page.evaluate(DRAWN)) as number;
  await armProbe(page, `${DRAWS} >= ${before + charts}`);
}

/** Milliseconds from the last host message's arrival to the probed paint. */
export async function readPaintProbe(page: Page): Promise<number> {
  // Polled from here: waitForFunction with a string would need eval, which the page's CSP forbids.
  for (let i = 0; i < 6000; i++) {
    const ms = (await page.evaluate('window.__paintedAt === undefined ? null : window.__paintedAt - window.__receivedAt')) as number | null;
    if (ms !== null) return ms;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the probed paint never happened');
}

/** The count of `alsoCount` (armPaintProbe) in the probed frame. */
export async function readPaintedCount(page: Page): Promise<number> {
  return page.evaluate('window.__paintedCount') as Promise<number>;
}

/** Milliseconds the last host message took to deserialise. */
export async function lastDeserializeMs(page: Page): Promise<number> {
  return page.evaluate('window.__deserializeMs') as Promise<number>;
}

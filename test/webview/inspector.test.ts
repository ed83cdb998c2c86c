// The rollout inspector's real bundle in headless Chromium. Host replies come from the real shard
// reader over shards written by pyarrow (test/unit/runs/make_shard.py), or are recorded replies
// built here (the hostile-text corpus, a 32k-token rollout).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { RolloutReader } from '../../src/runs/rollouts';
import type { RolloutDetail, StepRollouts } from '../../src/runs/rolloutTypes';
import { DEFAULT_INSPECTOR_STATE, type InspectorInit, type InspectorState } from '../../src/webviews/inspector/protocol';
import { computeStepStats } from '../../src/webviews/inspector/stepStats';
import { SCALES, binOf } from '../../src/common/colorScale';
import { FIRST_CHUNK_UNITS, exact } from '../../webview/inspector/tokenView';
import { THEMES, openApp, serveRequests, type RequestHandler } from './harness';

const ROOT = join(__dirname, '..', '..');
const RUN = { runId: 'run-a', runName: 'run a', steps: [3, 7] };

type Handler = RequestHandler;

/** Opens the inspector with the page's inlined first state, and answers its requests like the host. */
async function openInspector(handlers: Record<string, Handler>, options: { state?: Partial<InspectorState>; saved?: unknown; theme?: (typeof THEMES)[number] } = {}) {
  const init: InspectorInit = { state: { ...DEFAULT_INSPECTOR_STATE, runId: RUN.runId, step: 7, ...options.state }, run: RUN };
  const json = JSON.stringify(init).replace(/</g, '\\u003c');
  const app = await openApp('inspector', {
    theme: options.theme,
    initialState: options.saved,
    viewport: { width: 1400, height: 900 },
    bodyHtml: `<div id="app"></div><script type="application/json" id="initial-state">${json}</script>`,
  });
  const server = serveRequests(app, handlers);
  return {
    app,
    async close() {
      await server.stop();
      await app.close();
    },
  };
}

function shardHandlers(files: Record<number, string>): Record<string, Handler> {
  const reader = new RolloutReader();
  return {
    'rollouts/step/get': (p) => reader.readStep(files[p.step as number]),
    'rollouts/rollout/get': (p) => reader.readRollout(files[p.step as number], p.row as number),
    'rollouts/step/stats': async (p) => computeStepStats(await reader.readStepTokens(files[p.step as number])),
    'rollouts/step/search': (p) => reader.search(files[p.step as number], p.text as string),
    'rollouts/group/get': async (p) => {
      const step = await reader.readStep(files[p.step as number]);
      const members = step.rollouts.filter((r) => r.promptIndex === p.promptIndex);
      const texts = await reader.readCompletions(step.file, members[0].row, members.at(-1)!.row + 1);
      return members.map((m, i) => ({ ...m, completion: texts[i] }));
    },
    'inspector/run/get': () => RUN,
  };
}

/** Recorded replies for one step holding the given rollouts. */
function recordedHandlers(details: RolloutDetail[]): Record<string, Handler> {
  const step: StepRollouts = {
    step: 7,
    file: '/recorded/step-00000007.parquet',
    prompts: Object.fromEntries(details.map((d) => [d.promptIndex, d.prompt])),
    rewardNames: ['accuracy'],
    rollouts: details.map((d) => ({
      row: d.row,
      promptIndex: d.promptIndex,
      groupIndex: d.groupIndex,
      reward: d.reward,
      rewards: d.rewards,
      advantage: d.advantage,
      length: d.tokens.length,
      meanEntropy: 1,
      truncated: d.truncated,
      rewardError: d.rewardError,
      hintIds: [],
      preview: d.completion.slice(0, 160),
      replayed: d.replayed,
      age: d.age,
    })),
  };
  return {
    'rollouts/step/get': () => step,
    'rollouts/rollout/get': (p) => details[p.row as number],
    'inspector/run/get': () => RUN,
  };
}

function detailOf(tokens: string[], overrides: Partial<RolloutDetail> = {}): RolloutDetail {
  return {
    step: 7,
    row: 0,
    promptIndex: 0,
    groupIndex: 0,
    prompt: 'prompt',
    completion: tokens.join(''),
    tokenIds: tokens.map((_, i) => 100 + i),
    tokens,
    logprobs: tokens.map(() => -0.5),
    entropies: tokens.map(() => 0.1),
    lossMask: tokens.map(() => 1),
    advantage: 0.5,
    reward: 1,
    rewards: { accuracy: 1 },
    truncated: false,
    hintIds: [],
    rewardError: null,
    extras: {},
    entropyThreshold: null,
    datasetIndex: null,
    replayed: false,
    age: 0,
    ...overrides,
  };
}

describe('rollout inspector', () => {
  let files: Record<number, string>;
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'rlstudio-inspector-'));
    files = {};
    for (const step of [3, 7]) {
      files[step] = join(dir, `step-0000000${step}.parquet`);
      execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'test/unit/runs/make_shard.py'), files[step], '--step', String(step), '--prompts', '3', '--group', '4', '--tokens', '10']);
    }
  });

  it('colours each token by its entropy bin, outlines forking tokens and dims tokens without gradient', async () => {
    const { app, close } = await openInspector(shardHandlers(files), { state: { row: 5 } });
    try {
      await app.page.waitForSelector('.tok');
      const expected = await new RolloutReader().readRollout(files[7], 5);
      const tokens = await app.page.$$eval('.tok', (els) =>
        els.map((e) => ({ bin: Number((e as HTMLElement).dataset.bin), bg: getComputedStyle(e).backgroundColor, fork: e.classList.contains('fork'), nograd: e.classList.contains('nograd') })),
      );
      assert.equal(tokens.length, expected.tokens.length); // this shard has no split characters
      tokens.forEach((t, i) => {
        const bin = binOf(SCALES.entropy, expected.entropies[i]);
        assert.equal(t.bin, bin, `token ${i}`);
        assert.equal(t.bg, SCALES.entropy.colors[bin], `token ${i} colour`);
        assert.equal(t.fork, expected.entropies[i] >= expected.entropyThreshold!, `token ${i} forking`);
        assert.equal(t.nograd, expected.lossMask[i] === 0, `token ${i} gradient`);
      });
      assert.ok(tokens.some((t) => t.fork) && tokens.some((t) => !t.fork));
      assert.equal(await app.page.locator('.rollout-row').count(), 12);
      assert.equal(await app.page.locator('.group-row').count(), 3);
      assert.deepEqual(app.errors, []);
      assert.deepEqual(await app.cspViolations(), []);
    } finally {
      await close();
    }
  });

  it('shows the exact numbers of a hovered or focused token', async () => {
    const { app, close } = await openInspector(shardHandlers(files), { state: { row: 2 } });
    try {
      await app.page.waitForSelector('.tok');
      const d = await new RolloutReader().readRollout(files[7], 2);
      await app.page.locator('.tok[data-u="4"]').hover();
      const row = app.page.locator('.token-card tr[data-token="4"] td');
      assert.deepEqual(await row.allTextContents(), [
        '4',
        String(d.tokenIds[4]),
        exact(d.logprobs[4]),
        exact(Math.exp(d.logprobs[4])),
        exact(d.entropies[4]),
        d.lossMask[4] ? 'yes' : 'no',
        d.entropies[4] >= d.entropyThreshold! ? 'yes' : 'no',
      ]);
      // Float32 values round-trip through 6 significant digits.
      assert.equal(Math.fround(Number(exact(d.logprobs[4]))), Math.fround(d.logprobs[4]));
      // Keyboard: focus the token list, move with the arrow keys; the card follows focus.
      await app.page.locator('.tokens').focus();
      await app.page.keyboard.press('ArrowRight');
      await app.page.keyboard.press('ArrowRight');
      assert.equal(await app.page.evaluate(() => (document.activeElement as HTMLElement).dataset.u), '1');
      assert.equal(await app.page.locator('.token-card tr[data-token="1"] td').first().textContent(), '1');
    } finally {
      await close();
    }
  });

  it('shows whitespace and newlines, and merges split characters', async () => {
    const detail = detailOf(['Hi', ' there', '\n', '\t', 'caf', '\uFFFD', '\uFFFD', ' ok'], { completion: 'Hi there\n\tcafé ok' });
    const { app, close } = await openInspector(recordedHandlers([detail]), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.tok');
      const texts = await app.page.$$eval('.tok', (els) => els.map((e) => e.textContent));
      assert.deepEqual(texts, ['Hi', '·there', '↵\n', '→', 'caf', 'é', '·ok']);
      assert.equal(await app.page.locator('.tok .ws').count(), 4);
      assert.ok(!(await app.page.locator('.tokens').textContent())!.includes('\uFFFD'));
      // The split character's card lists both of its tokens.
      await app.page.locator('.tok[data-u="5"]').hover();
      assert.equal(await app.page.locator('.token-card tr[data-token]').count(), 2);
      // Whitespace markers off: the text is exactly the completion.
      await app.page.locator('vscode-checkbox[label="Whitespace"]').click();
      assert.equal(await app.page.locator('.tokens').evaluate((e) => e.textContent), 'Hi there\n\tcafé ok');
      assert.equal((await app.state() as InspectorState).showWhitespace, false);
    } finally {
      await close();
    }
  });

  it('keeps the token card inside the panel for a token at its right edge (issue 14, item 16)', async () => {
    const detail = detailOf(Array.from({ length: 400 }, (_, i) => ` word${i}`));
    const { app, close } = await openInspector(recordedHandlers([detail]), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.tok');
      // The token that starts furthest right: the end of a wrapped line.
      const u = await app.page.$$eval('.tok', (els) => {
        let best = els[0] as HTMLElement;
        for (const e of els) if (e.getBoundingClientRect().left > best.getBoundingClientRect().left) best = e as HTMLElement;
        return best.dataset.u!;
      });
      await app.page.locator(`.tok[data-u="${u}"]`).hover();
      await app.page.waitForSelector('.token-card:not([hidden])');
      const [card, view] = await Promise.all([app.page.locator('.token-card').boundingBox(), app.page.locator('.token-view').boundingBox()]);
      assert.ok(card && view);
      assert.ok(card.x >= view.x - 0.5, `card starts at ${card.x}, the view at ${view.x}`);
      assert.ok(card.x + card.width <= view.x + view.width + 0.5, `card ends at ${card.x + card.width}, the view at ${view.x + view.width}`);
    } finally {
      await close();
    }
  });

  it('keeps a 1 MB forking token inside the step statistics (issue 14, item 16)', async () => {
    const huge = 'x'.repeat(1_000_000);
    const tokens = [[huge, 'a', 'b', huge], ['c', huge]];
    const stats = computeStepStats({ tokens, entropies: [[3, 0.1, 0.1, 3], [0.1, 3]], lossMask: [[1, 1, 1, 1], [1, 1]], entropyThreshold: [2, 2] });
    const handlers = { ...recordedHandlers([detailOf(['a'])]), 'rollouts/step/stats': () => stats };
    const { app, close } = await openInspector(handlers, { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.tok');
      await app.page.getByRole('tab', { name: 'Step statistics' }).click();
      await app.page.waitForSelector('table.forking td.tok-text');
      const sizes = await app.page.$eval('.stats-view', (view) => ({
        view: Math.min(view.getBoundingClientRect().width, window.innerWidth),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        table: view.querySelector('table.forking')!.getBoundingClientRect().width,
        text: view.querySelector('table.forking td.tok-text')!.textContent!.length,
      }));
      assert.ok(sizes.overflow <= 0, `the page scrolls sideways by ${sizes.overflow} px`);
      assert.ok(sizes.table <= sizes.view, `table ${sizes.table} px in a view of ${sizes.view} px`);
      assert.ok(sizes.text < 1000, `a cell of ${sizes.text} characters`);
    } finally {
      await close();
    }
  });

  it('shows the hints a rollout received', async () => {
    const withHints = detailOf(['4'], { hintIds: ['kp-carry', '<b>kp2</b>'] });
    const { app, close } = await openInspector(recordedHandlers([withHints, detailOf(['5'], { row: 1 })]), { state: { row: 0 } });
    try {
      const hints = app.page.locator('.hints');
      await hints.waitFor();
      assert.equal(await hints.textContent(), 'Hints received: kp-carry, <b>kp2</b>');
      assert.equal(await app.page.locator('.hints b').count(), 0);
    } finally {
      await close();
    }
  });

  it('shows the source data row and why selection chose the prompt', async () => {
    const selection = { estimate: 0.456, basis: 'predicted', reason: 'target', observed: 0.75 } as const;
    const chosen = { ...detailOf(['4'], { datasetIndex: 41 }), selection };
    const { app, close } = await openInspector(recordedHandlers([chosen as RolloutDetail, detailOf(['5'], { row: 1 })]), { state: { row: 0 } });
    try {
      const line = app.page.locator('.source-row');
      await line.waitFor();
      assert.equal(await line.textContent(), 'Data row 41 · chosen for the target difficulty: estimated 0.46 from similar prompts, observed 0.75');
    } finally {
      await close();
    }
  });

  it('shows hostile rollout text as inert text', async () => {
    const hostile = [
      '<script>window.__pwned = 1</script>',
      '<img src=x onerror="window.__pwned = 2">',
      '<a href="javascript:window.__pwned = 3">click</a>',
      '<style>body { display: none !important }</style>',
      '<svg onload="window.__pwned = 4"></svg>',
      '[link](javascript:window.__pwned=5) **bold** <b onclick="x">',
      '\u202Eevil\u202C',
      'a\u0000b\u0007c\u001b[31m',
      'x'.repeat(1 << 20),
    ];
    const detail = detailOf(hostile, { prompt: '<iframe src="javascript:window.__pwned=6"></iframe>\u202E', completion: hostile.join(''), rewardError: '<img src=x onerror="window.__pwned=7">' });
    const { app, close } = await openInspector(recordedHandlers([detail]), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.tok');
      const count = (selector: string) => app.page.locator(`:is(.tokens, .prompt, .rollout-list, .token-card) ${selector}`).count();
      for (const tag of ['script', 'img', 'a', 'style', 'svg', 'iframe', 'b']) assert.equal(await count(tag), 0, tag);
      const text = (await app.page.locator('.tokens').textContent())!;
      assert.ok(text.includes('<script>window.__pwned'));
      assert.ok(text.includes('⟨U+202E⟩evil⟨U+202C⟩'));
      assert.ok(text.includes('a⟨U+0000⟩b⟨U+0007⟩c⟨U+001B⟩[31m'));
      assert.equal((await app.page.locator('.tok').last().textContent())!.length, 1 << 20);
      await app.page.locator('.tok[data-u="1"]').hover();
      assert.ok((await app.page.locator('.card-text').textContent())!.includes('onerror'));
      // Markdown rendering: no HTML passthrough, links stay text.
      await app.page.locator('vscode-checkbox[label="Markdown"]').click();
      await app.page.waitForSelector('.markdown');
      for (const tag of ['script', 'img', 'a', 'style', 'svg']) assert.equal(await app.page.locator(`.markdown ${tag}`).count(), 0, tag);
      assert.ok((await app.page.locator('.markdown').textContent())!.includes('javascript:window.__pwned=5'));
      assert.equal(await app.page.locator('.markdown strong').count(), 1);
      assert.equal(await app.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.equal(await app.page.evaluate(() => getComputedStyle(document.body).display), 'block');
      assert.deepEqual(await app.cspViolations(), []);
      assert.deepEqual(app.errors, []);
    } finally {
      await close();
    }
  });

  it('renders a 32k-token completion in chunks as it scrolls', async () => {
    const tokens = Array.from({ length: 32_000 }, (_, i) => (i % 50 === 49 ? '\n' : ` w${i}`));
    const detail = detailOf(tokens, { entropies: tokens.map((_, i) => (i % 7) / 2) });
    const { app, close } = await openInspector(recordedHandlers([detail]), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.tok');
      assert.equal(await app.page.locator('.tok').count(), FIRST_CHUNK_UNITS);
      await app.page.locator('.tok').last().scrollIntoViewIfNeeded();
      await app.page.waitForFunction((n) => document.querySelectorAll('.tok').length > n, FIRST_CHUNK_UNITS);
      await app.page.locator('.tokens').focus();
      await app.page.keyboard.press('End');
      assert.equal(await app.page.evaluate(() => (document.activeElement as HTMLElement).dataset.u), '31999');
      assert.equal(await app.page.locator('.tok').count(), 32_000);
    } finally {
      await close();
    }
  });

  it('sorts and filters the rollout list, and follows the step picker', async () => {
    const { app, close } = await openInspector(shardHandlers(files), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.rollout-row');
      await app.page.locator('vscode-checkbox[label="Truncated only"]').click();
      assert.equal(await app.page.locator('.rollout-row').count(), 3); // the last of each group of 4
      await app.page.locator('vscode-checkbox[label="Truncated only"]').click();
      await app.page.selectOption('select[aria-label="Advantage"]', 'positive');
      assert.equal(await app.page.locator('.rollout-row').count(), 6);
      await app.page.selectOption('select[aria-label="Advantage"]', 'any');
      await app.page.fill('input[aria-label="Minimum reward"]', '1');
      assert.equal(await app.page.locator('.rollout-row').count(), 4); // (p + g) % 3 == 2
      await app.page.fill('input[aria-label="Minimum reward"]', '');
      await app.page.selectOption('select[aria-label="Sort"]', 'reward');
      const rewards = await app.page.$$eval('.rollout-row .reward', (els) => els.slice(0, 4).map((e) => Number(e.textContent)));
      assert.deepEqual(rewards, [...rewards].sort((a, b) => b - a));
      // Text search goes through the host.
      await app.page.locator('vscode-textfield').click();
      await app.page.keyboard.type('Question 1');
      await app.page.waitForFunction(() => document.querySelectorAll('.rollout-row').length === 4);
      await app.page.locator('vscode-textfield').click();
      await app.page.keyboard.press('Control+A');
      await app.page.keyboard.press('Backspace');
      await app.page.waitForFunction(() => document.querySelectorAll('.rollout-row').length === 12);
      // Step picker.
      await app.page.selectOption('select[aria-label="Step"]', '3');
      await app.page.waitForFunction(() => document.querySelector('.prompt')?.textContent?.includes('Question'));
      assert.equal((await app.state() as InspectorState).step, 3);
    } finally {
      await close();
    }
  });

  it('shows step statistics and the group side by side', async () => {
    const { app, close } = await openInspector(shardHandlers(files), { state: { row: 1 } });
    try {
      await app.page.waitForSelector('.tok');
      await app.page.getByRole('tab', { name: 'Step statistics' }).click();
      await app.page.waitForSelector('.histogram .bar');
      const stats = computeStepStats(await new RolloutReader().readStepTokens(files[7]));
      assert.equal(await app.page.locator('.stats-summary .share').textContent(), `${(stats.shareAboveThreshold * 100).toFixed(1)}%`);
      const bars = await app.page.$$eval('.histogram .bar', (els) => els.map((e) => Number((e as HTMLElement).dataset.count)));
      assert.deepEqual(bars, stats.histogram.counts);
      assert.equal(await app.page.locator('table.forking tr').count(), stats.topForking.length + 1);
      await app.page.getByRole('tab', { name: 'Group' }).click();
      await app.page.waitForSelector('.group-card');
      assert.equal(await app.page.locator('.group-card').count(), 4);
      assert.equal(await app.page.locator('.group-card.selected').getAttribute('data-row'), '1');
      const d = await new RolloutReader().readRollout(files[7], 3);
      assert.equal(await app.page.locator('.group-card[data-row="3"] .completion').textContent(), d.completion);
      await app.page.locator('.group-card[data-row="3"] [data-open]').click();
      await app.page.waitForFunction(() => document.querySelector('.rollout-row.selected')?.getAttribute('data-row') === '3');
    } finally {
      await close();
    }
  });

  it('comes back after a reload with the same step and rollout', async () => {
    const first = await openInspector(shardHandlers(files), { state: { row: 0 } });
    await first.app.page.waitForSelector('.rollout-row');
    await first.app.page.locator('.rollout-row[data-row="6"]').click();
    await first.app.page.waitForFunction(() => document.querySelector('.rollout-row.selected')?.getAttribute('data-row') === '6');
    await first.app.page.selectOption('select[aria-label="Colour by"]', 'probability');
    const saved = await first.app.state();
    await first.close();
    const second = await openInspector(shardHandlers(files), { saved });
    try {
      await second.app.page.waitForSelector('.rollout-row.selected');
      assert.equal(await second.app.page.locator('.rollout-row.selected').getAttribute('data-row'), '6');
      assert.equal(await second.app.page.locator('select[aria-label="Colour by"]').inputValue(), 'probability');
      assert.ok((await second.app.posted()).some((m) => m.method === 'rollouts/rollout/get' && (m.params as { row: number }).row === 6));
    } finally {
      await second.close();
    }
  });

  it('marks replayed rollouts and filters fresh / replayed rows, with the other filters and the sort', async () => {
    // The shard of step 7 copied by pyarrow with the replay columns: prompt 1's rows replayed, age 2.
    const replayShard = join(mkdtempSync(join(tmpdir(), 'rlstudio-inspector-replay-')), 'step-00000007.parquet');
    execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'test/fixtures/add_replay_columns.py'), files[7], replayShard, '--replayed-prompts', '1']);
    const step = await new RolloutReader().readStep(replayShard);
    const replayedRows = step.rollouts.filter((r) => r.replayed).map((r) => r.row);
    assert.equal(replayedRows.length, 4);
    const { app, close } = await openInspector(shardHandlers({ ...files, 7: replayShard }), { state: { row: 0 } });
    try {
      await app.page.waitForSelector('.rollout-row');
      const rows = () => app.page.$$eval('.rollout-row', (els) => els.map((e) => Number((e as HTMLElement).dataset.row)));
      // The marker: "↻ 2" on screen, "replayed, age 2 steps" as the row's accessible name.
      assert.equal(await app.page.locator('.rollout-list').getByRole('option', { name: /replayed, age 2 steps/ }).count(), 4);
      assert.deepEqual(await app.page.$$eval('.rollout-row', (els) => els.filter((e) => e.querySelector('.replay')!.textContent).map((e) => Number((e as HTMLElement).dataset.row))), replayedRows);
      assert.equal(await app.page.locator(`.rollout-row[data-row="${replayedRows[0]}"] .replay [aria-hidden]`).textContent(), '↻ 2');
      // Its group's row too (replay takes whole groups), and no other group's.
      assert.deepEqual(await app.page.$$eval('.group-row', (els) => els.map((e) => e.querySelector('.replay')!.textContent)), ['', '↻ 2replayed, age 2 steps', '']);
      // Filter, then with the advantage filter and the reward sort.
      await app.page.selectOption('select[aria-label="Replay"]', 'replayed');
      assert.deepEqual(await rows(), replayedRows);
      assert.equal(await app.page.locator('.list-count').textContent(), '4 of 12');
      await app.page.selectOption('select[aria-label="Advantage"]', 'positive');
      await app.page.selectOption('select[aria-label="Sort"]', 'reward');
      const expected = step.rollouts
        .filter((r) => r.replayed && (r.advantage ?? 0) > 0)
        .sort((a, b) => (b.reward ?? -Infinity) - (a.reward ?? -Infinity) || a.groupIndex - b.groupIndex)
        .map((r) => r.row);
      assert.ok(expected.length > 0 && expected.length < 4);
      assert.deepEqual(await rows(), expected);
      await app.page.selectOption('select[aria-label="Advantage"]', 'any');
      await app.page.selectOption('select[aria-label="Sort"]', 'group');
      await app.page.selectOption('select[aria-label="Replay"]', 'fresh');
      assert.deepEqual(await rows(), step.rollouts.filter((r) => !r.replayed).map((r) => r.row));
      assert.equal(await app.page.locator('.rollout-row .replay:not(:empty)').count(), 0);
      assert.equal(((await app.state()) as InspectorState).filter.replay, 'fresh');
      // The token view's header of a replayed rollout; none on a fresh one.
      await app.page.selectOption('select[aria-label="Replay"]', 'all');
      await app.page.locator(`.rollout-row[data-row="${replayedRows[1]}"]`).click();
      await app.page.waitForSelector('.replay-line');
      assert.equal(await app.page.getByRole('note').textContent(), 'Replayed from step 5 (age 2)');
      await app.page.locator('.rollout-row[data-row="0"]').click();
      await app.page.locator('.replay-line').waitFor({ state: 'detached' }); // fails (times out) if a fresh row kept it
      // The Group tab of a replayed group marks every card as the list does; a fresh group's cards none.
      await app.page.locator(`.rollout-row[data-row="${replayedRows[0]}"]`).click();
      await app.page.getByRole('tab', { name: 'Group' }).click();
      await app.page.waitForSelector(`.group-card[data-row="${replayedRows[0]}"]`);
      assert.deepEqual(await app.page.$$eval('.group-card', (els) => els.map((e) => e.querySelector('.replay')!.textContent)), replayedRows.map(() => '↻ 2replayed, age 2 steps'));
      assert.equal(await app.page.locator(`.group-card[data-row="${replayedRows[0]}"] .replay`).getAttribute('title'), 'replayed, age 2 steps');
      await app.page.locator('.rollout-row[data-row="0"]').click();
      await app.page.waitForSelector('.group-card[data-row="0"]');
      assert.equal(await app.page.locator('.group-card .replay:not(:empty)').count(), 0);
      assert.deepEqual(app.errors, []);
      assert.deepEqual(await app.cspViolations(), []);
    } finally {
      await close();
    }
  });

  it('reads an old run without the replay columns as fresh rows, and a state saved before the filter', async () => {
    const saved = { ...DEFAULT_INSPECTOR_STATE, runId: RUN.runId, step: 7, row: 5, filter: { rewardMin: null, rewardMax: null, advantageSign: 'any', text: '', truncatedOnly: false } };
    // Step 7 as written before rollout replay: no replayed/age columns.
    const old = join(mkdtempSync(join(tmpdir(), 'rlstudio-inspector-old-')), 'step-00000007.parquet');
    execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'test/unit/runs/make_shard.py'), old, '--step', '7', '--prompts', '3', '--group', '4', '--tokens', '10', '--replay-columns', 'absent']);
    const { app, close } = await openInspector(shardHandlers({ ...files, 7: old }), { saved });
    try {
      await app.page.waitForSelector('.tok');
      assert.equal(await app.page.locator('select[aria-label="Replay"]').inputValue(), 'all');
      assert.equal(await app.page.locator('.rollout-row').count(), 12);
      assert.equal(await app.page.locator('.rollout-list').getByRole('option', { name: /replayed/ }).count(), 0);
      assert.equal(await app.page.locator('.replay-line').count(), 0);
      await app.page.selectOption('select[aria-label="Replay"]', 'fresh');
      assert.equal(await app.page.locator('.rollout-row').count(), 12);
      await app.page.selectOption('select[aria-label="Replay"]', 'replayed');
      assert.equal(await app.page.locator('.rollout-row').count(), 0);
      assert.equal(await app.page.locator('.list-count').textContent(), '0 of 12');
      assert.deepEqual(app.errors, []);
    } finally {
      await close();
    }
  });

  for (const theme of THEMES) {
    it(`renders in the ${theme} theme (screenshot)`, async () => {
      const { app, close } = await openInspector(shardHandlers(files), { state: { row: 1 }, theme });
      try {
        await app.page.waitForSelector('.tok');
        await app.page.locator('.tok[data-u="3"]').hover();
        await app.screenshot(`inspector-${theme}`);
        assert.deepEqual(app.errors, []);
      } finally {
        await close();
      }
    });
  }
});


// The KP editor app in headless Chromium: hostile text stays text, keyboard editing, undo/redo,
// filters, the subset table with the chosen subset and pruning interactions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KpEditorState } from '../../src/webviews/kpEditor/protocol';
import { openApp, type App, type Message } from './harness';

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function state(): KpEditorState {
  return {
    file: '/w/hard.kp.jsonl',
    entries: [
      { problem: 'q1', points: [{ id: 'a', text: `Add units ${HOSTILE}` }, { id: 'b', text: 'Carry the one' }, { id: 'c', text: 'Check' }], selected: ['b'] },
      { problem: 'q2', points: [], selected: [] },
      { problem: 'q3', points: [{ id: 'x', text: 'Factor' }], selected: [] },
    ],
    revision: 1,
    problems: { q1: { text: `What is 17 + 25? ${HOSTILE}`, answer: '42' }, q3: { text: 'Factor 91', answer: '7*13' } },
    dataset: '/w/data.jsonl',
    subsets: {
      q1: {
        problem: 'q1',
        target: 0.8,
        chosen: ['a', 'c'],
        chosen_pass_rate: 0.8,
        subsets: [
          { ids: [], pass_rate: 0.1, passed: 1, samples: 10, stage: 'none' },
          { ids: ['a', 'c'], pass_rate: 0.8, passed: 8, samples: 10, stage: 'leave_one_out' },
          { ids: ['a', 'b', 'c'], pass_rate: 0.8, passed: 8, samples: 10, stage: 'all' },
        ],
        interactions: [{ removed: ['a', 'b'], alone: [0.8, 0.8], together: 0.2 }],
      },
    },
    dirty: false,
    fileProblems: [],
    error: null,
    notice: null,
  };
}

async function open(): Promise<App> {
  const app = await openApp('kpEditor');
  await app.waitForPosted((m) => m.kind === 'ready');
  await app.sendToApp({ kind: 'notification', method: 'kp/state', params: state() });
  await app.page.locator('#points').waitFor();
  return app;
}

async function lastEdit(app: App): Promise<Message> {
  const posted = await app.posted();
  const edits = posted.filter((m) => m.method === 'kp/edit');
  assert.ok(edits.length > 0, 'an edit was posted');
  return edits.at(-1)!;
}

const pointTexts = (app: App) => app.page.locator("#points input[type='text']").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));

test('hostile problem and point text render as text; subset table marks the chosen subset and the paradox', async () => {
  const app = await open();
  const page = app.page;
  assert.equal(await page.locator('#app img, #app script').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('#problem-text').textContent(), `What is 17 + 25? ${HOSTILE}`);
  assert.equal((await pointTexts(app))[0], `Add units ${HOSTILE}`);
  assert.equal(await page.locator('#subsets tr.chosen td').first().textContent(), '★ {a, c}');
  assert.match((await page.locator('.paradox').textContent()) ?? '', /removing a alone \(0\.8\) or b alone \(0\.8\) keeps the pass rate, removing both drops it to 0\.2/);
  assert.deepEqual(await app.cspViolations(), []);
  assert.deepEqual(app.errors.filter((e) => !e.startsWith('Failed to load resource')), []);
  await app.screenshot('kpEditor-dark');
  await app.close();
});

test('keyboard: add, reorder, toggle, delete; undo and redo; save', async () => {
  const app = await open();
  const page = app.page;
  await page.fill('#new-point', 'Write the sum');
  await page.press('#new-point', 'Enter');
  assert.deepEqual(await pointTexts(app), [`Add units ${HOSTILE}`, 'Carry the one', 'Check', 'Write the sum']);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-point', 'focus stays for the next point');
  await page.focus("#points input[data-index='3']");
  await page.keyboard.press('Alt+ArrowUp');
  await page.keyboard.press('Alt+ArrowUp');
  assert.deepEqual((await pointTexts(app))[1], 'Write the sum');
  await page.keyboard.press('Control+Space');
  let entries = ((await lastEdit(app)).params as { entries: KpEditorState['entries'] }).entries;
  assert.deepEqual(entries[0]!.points.map((p) => p.id), ['a', 'kp4', 'b', 'c']);
  assert.deepEqual(entries[0]!.selected, ['kp4', 'b'], 'selected follows point order');
  await page.focus("#points input[data-index='0']");
  await page.keyboard.press('Control+Delete');
  assert.equal((await pointTexts(app)).length, 3);
  await page.click('#undo');
  assert.equal((await pointTexts(app)).length, 4);
  await page.click('#redo');
  assert.equal((await pointTexts(app)).length, 3);
  await page.click('#undo');
  await page.click('#undo');
  entries = ((await lastEdit(app)).params as { entries: KpEditorState['entries'] }).entries;
  assert.deepEqual(entries[0]!.selected, ['b']);
  assert.equal(await page.locator('#dirty').textContent(), '● unsaved');
  await page.keyboard.press('Control+s');
  const save = await app.waitForPosted((m) => m.method === 'kp/save');
  assert.equal((save.params as { entries: KpEditorState['entries'] }).entries[0]!.points.length, 4);
  // Edits and saves name the revision they were made on (the host merges those that crossed a reload).
  assert.equal((save.params as { revision: number }).revision, state().revision);
  assert.equal(((await lastEdit(app)).params as { revision: number }).revision, state().revision);
  await app.close();
});

test('problem list: arrows move, search and filters narrow, a new revision resets history', async () => {
  const app = await open();
  const page = app.page;
  await page.focus('#problems');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#problem-id').textContent(), 'q2');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#problem-id').textContent(), 'q3');
  assert.equal(await page.locator('#answer').textContent(), '7*13');
  await page.selectOption('#filter', 'without');
  assert.equal(await page.locator('#shown').textContent(), '1 of 3');
  await page.selectOption('#filter', 'all');
  await page.fill('#search', 'carry');
  assert.equal(await page.locator('#shown').textContent(), '1 of 3');
  assert.equal(await page.locator('#problem-id').textContent(), 'q3', 'the open problem stays open');
  const next = state();
  next.entries[0]!.points = [];
  next.revision = 2;
  next.notice = 'hard.kp.jsonl changed on disk; reloaded.';
  await app.sendToApp({ kind: 'notification', method: 'kp/state', params: next });
  await page.locator('#notice').waitFor();
  await page.click('#undo'); // nothing to undo in the new revision
  assert.equal(await page.locator('#shown').textContent(), '0 of 3');
  await app.close();
});

test('the saved state names the file (the host re-opens it after a window reload); a file that cannot be read is named', async () => {
  let app = await open();
  await app.page.locator('#problems li[data-problem="q3"]').click();
  assert.deepEqual(await app.state(), { current: 'q3', search: '', filter: 'all', file: '/w/hard.kp.jsonl' });
  app = await app.reopen();
  await app.waitForPosted((m) => m.kind === 'ready');
  const gone = { ...state(), entries: [], error: '/w/hard.kp.jsonl no longer exists (moved or deleted?).' };
  await app.sendToApp({ kind: 'notification', method: 'kp/state', params: gone });
  assert.equal(await app.page.locator('#error').textContent(), gone.error);
  assert.equal(await app.page.locator('#shown').textContent(), '0 of 0');
  await app.close();
});

// The Reward Lab opened before the Runs view has a run with rollouts (issue 14: it said "no run with
// recorded rollouts" until its picker was opened again): in a real VS Code, the Lab opened on an
// empty workspace opens on the run that appears, and scores its rollouts.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startSession, type Session } from './harness';
import { runPaths } from '../../src/runs/runFormat';

const ROOT = resolve(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const RUN = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');

let vs: Session;

before(async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'rlstudio-lab-empty-'));
  writeFileSync(join(workspace, 'fixture.rlstudio.yaml'), 'model:\n  name: ./model\ndata:\n  path: data.jsonl\nrewards:\n  - name: exact\n    ref: exact_answer\n');
  writeFileSync(join(workspace, 'data.jsonl'), '{"question": "What is 3 + 4?", "answer": "7"}\n');
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'rlstudio.pythonPath': PYTHON }));
  vs = await startSession({ name: 'rewardLabNoRunsYet', workspace, copyWorkspace: false, settings: { 'rlstudio.pythonPath': PYTHON } });
});

after(async () => {
  await vs?.close();
});

test('the Lab opened with no run opens on the first run with rollouts that appears, and scores it', () =>
  vs.step('lab-no-runs-yet', async () => {
    await vs.waitForActivation();
    await vs.runCommand('RL Studio: Open Reward Lab');
    const lab = await vs.frameWith('.warning');
    assert.match(await lab.locator('.warning').first().innerText(), /No run in the Runs view has recorded rollouts yet/);

    const run = join(vs.workspace, '.rlstudio', 'runs', '20261128-023150-completed-tiny');
    mkdirSync(run, { recursive: true });
    cpSync(RUN, run, { recursive: true });
    const manifest = JSON.parse(readFileSync(runPaths(run).manifest, 'utf8')) as Record<string, unknown>;
    writeFileSync(runPaths(run).manifest, JSON.stringify({ ...manifest, configPath: join(vs.workspace, 'fixture.rlstudio.yaml') }));

    // no click: the Lab follows the run store
    await lab.locator('.source', { hasText: 'completed-tiny' }).waitFor({ timeout: 60_000 });
    await lab.locator('td[data-fn="exact"]').first().waitFor({ timeout: 60_000 });
    assert.ok((await lab.locator('td[data-fn="exact"]').count()) > 0);
    assert.equal(await lab.locator('.warning', { hasText: 'No run in the Runs view' }).count(), 0);
    await vs.screenshot('lab-found-run');
  }));

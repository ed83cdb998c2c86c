import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunManifest } from '../../../src/runs/model';
import { runPaths } from '../../../src/runs/runFormat';

export function tempDir(prefix = 'rlstudio-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function manifest(over: Partial<RunManifest> = {}): RunManifest {
  const now = new Date().toISOString();
  return {
    format: 'rlstudio.run/1',
    id: 'run',
    name: 'test run',
    createdAt: now,
    updatedAt: now,
    status: 'running',
    endedAt: null,
    error: null,
    pid: process.pid,
    host: os.hostname(),
    algorithm: 'grpo',
    model: 'tiny',
    maxSteps: 10,
    configPath: null,
    config: {},
    versions: {},
    resumedFrom: null,
    ...over,
  };
}

/** Writes run.json atomically, as the trainer does. */
export function writeManifest(dir: string, m: RunManifest): void {
  const tmp = path.join(dir, `.run.json.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(m));
  fs.renameSync(tmp, runPaths(dir).manifest);
}

export function appendLines(file: string, rows: unknown[]): void {
  fs.appendFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

// Starting, controlling and stopping trainer processes. No `vscode` import: the process tests drive
// this module directly with a real trainer.
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunManifest } from '../runs/model';
import { LIVE_STATUSES } from '../runs/model';
import { runPaths, type ControlRequest, type LogFile } from '../runs/runFormat';
import { isPidAlive } from '../runs/status';
import type { TrainerCli } from '../python/interpreter';

/** `<root>/<YYYYMMDD-HHMMSS>-<name>` (UTC), made unique with a numeric suffix if taken. */
export function newRunDir(root: string, name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = name.replace(/\.rlstudio\.ya?ml$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  let dir = path.join(root, `${stamp}-${slug}`);
  for (let i = 2; fs.existsSync(dir); i++) dir = path.join(root, `${stamp}-${slug}-${i}`);
  return dir;
}

/** How to invoke the `rlstudio` CLI, e.g. `<venv>/bin/rlstudio` with no extra args. */
export interface Launched {
  pid: number;
  runDir: string;
  /** Resolves with the exit code (or signal name) while this process still owns the child. */
  exited: Promise<number | string>;
}

/**
 * Spawns `rlstudio <args>` detached from the extension host (its own process group, so a window
 * reload does not kill it), with stdout and stderr appended to `<logs>/` (default `<runDir>/logs/`).
 */
export function spawnTrainer(cli: TrainerCli, args: string[], runDir: string, cwd = path.dirname(runDir), logs = runPaths(runDir).logs): Launched {
  fs.mkdirSync(logs, { recursive: true });
  const log = (file: LogFile) => path.join(logs, file);
  const out = fs.openSync(log('stdout.log'), 'a');
  const err = fs.openSync(log('stderr.log'), 'a');
  try {
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd,
      detached: true,
      stdio: ['ignore', out, err],
      env: { ...process.env, ...cli.env, PYTHONUNBUFFERED: '1' },
    });
    const exited = new Promise<number | string>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.on('error', (e) => {
        fs.appendFileSync(log('stderr.log'), `RL Studio could not start ${cli.command}: ${e.message}\n`);
        resolve(e.message);
      });
    });
    child.unref();
    return { pid: child.pid ?? -1, runDir, exited };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}

/** Trains CONFIG into runDir; relative paths in the config resolve from the config's folder. */
export function startRun(cli: TrainerCli, configPath: string, runDir: string): Launched {
  return spawnTrainer(cli, ['train', path.resolve(configPath), '--run-dir', runDir], runDir, path.dirname(path.resolve(configPath)));
}

export function resumeRun(cli: TrainerCli, runDir: string): Launched {
  return spawnTrainer(cli, ['resume', runDir], runDir);
}

/** Drops a request file the trainer acts on at its next step boundary. */
export function requestControl(runDir: string, request: ControlRequest): void {
  const paths = runPaths(runDir);
  fs.mkdirSync(paths.control, { recursive: true });
  fs.writeFileSync(paths.controlFile(request), new Date().toISOString() + '\n');
}

export type StopStage = 'requested' | 'terminated' | 'killed' | 'ended';

export interface StopOptions {
  /** How long the graceful stop (control file) may take before SIGTERM. */
  graceMs?: number;
  /** How long after SIGTERM before SIGKILL. */
  termMs?: number;
  onStage?: (stage: StopStage) => void;
  /** Reads the current run.json (undefined if unreadable); an eval passes its eval.json's status, pid and host. */
  readManifest?: () => Pick<RunManifest, 'status' | 'pid' | 'host'> | undefined;
}

/**
 * Stops a run: control/stop first (the trainer finishes its step, saves a checkpoint and writes
 * `stopped`), then SIGTERM to its process group after `graceMs`, then SIGKILL after `termMs`.
 * Signals are only sent to a process on this host. Returns the last stage reached.
 */
export async function stopRun(runDir: string, options: StopOptions = {}): Promise<StopStage> {
  const read = options.readManifest ?? (() => readManifest(runDir));
  const first = read();
  const local = first !== undefined && first.host === os.hostname();
  const ended = () => {
    const m = read();
    return m !== undefined && (!LIVE_STATUSES.includes(m.status) || (local && !isPidAlive(m.pid)));
  };
  if (first === undefined || ended()) return 'ended';

  requestControl(runDir, 'stop');
  options.onStage?.('requested');
  if (await waitUntil(ended, options.graceMs ?? 60_000)) return 'ended';
  if (!local) return 'requested';

  signal(first.pid, 'SIGTERM');
  options.onStage?.('terminated');
  if (await waitUntil(ended, options.termMs ?? 10_000)) return 'ended';

  signal(first.pid, 'SIGKILL');
  options.onStage?.('killed');
  return 'killed';
}

/** Signals the process group (a detached trainer leads its own), else the process alone. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

export function readManifest(runDir: string): RunManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(runPaths(runDir).manifest, 'utf8')) as RunManifest;
  } catch {
    return undefined;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return cond();
}

// --- validate ---------------------------------------------------------------------------------

export interface ConfigProblem {
  path: string;
  line: number | null;
  column: number | null;
  message: string;
}

/** Runs `rlstudio validate CONFIG --json`. Throws when the CLI itself fails. */
export function validateConfig(cli: TrainerCli, configPath: string): Promise<{ ok: boolean; problems: ConfigProblem[] }> {
  return new Promise((resolve, reject) => {
    execFile(cli.command, [...cli.args, 'validate', configPath, '--json'], { timeout: 120_000, maxBuffer: 8 << 20, env: { ...process.env, ...cli.env } }, (error, stdout, stderr) => {
      try {
        const parsed = JSON.parse(stdout) as { ok: boolean; problems: ConfigProblem[] };
        resolve(parsed);
      } catch {
        reject(new Error(`rlstudio validate failed: ${(error?.message ?? '').trim()}\n${stderr.trim()}`));
      }
    });
  });
}

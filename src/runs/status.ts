import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import type { DerivedStatus, RunManifest } from './model';
import { LIVE_STATUSES } from './model';

/** A run on another host with no sign of life for this long is considered dead. */
export const HEARTBEAT_TIMEOUT_S = 30;

export interface Liveness {
  /** Unix seconds of the newest sign of life (heartbeat, event, metric, manifest update). */
  lastSignOfLife: number | undefined;
  /** Unix seconds now. */
  now: number;
  /** This machine's host name (socket.gethostname() on the Python side). */
  host: string;
  isPidAlive(pid: number): boolean;
}

/** A tqdm-style progress line: `label: 42%|████      | 21/50 [00:03<00:04, 6.1it/s]`. */
const PROGRESS_BAR = /\d+%\|.*\|\s*\d+\/\d+/;

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function defaultLiveness(lastSignOfLife: number | undefined): Liveness {
  return { lastSignOfLife, now: Date.now() / 1000, host: os.hostname(), isPidAlive };
}

/**
 * The status to show. run.json's status, except that a run still marked live whose process is gone
 * (pid dead on this host; no sign of life for HEARTBEAT_TIMEOUT_S on another host) is failed.
 */
export function deriveStatus(manifest: RunManifest, live: Liveness): DerivedStatus {
  const base: DerivedStatus = { status: manifest.status, error: manifest.error ?? undefined };
  if (!LIVE_STATUSES.includes(manifest.status)) return base;
  const dead =
    manifest.host === live.host
      ? !live.isPidAlive(manifest.pid)
      : live.lastSignOfLife !== undefined && live.now - live.lastSignOfLife > HEARTBEAT_TIMEOUT_S;
  if (!dead) return base;
  const reason = 'process ended unexpectedly';
  return {
    status: 'failed',
    reason,
    error: manifest.error ?? { type: 'ProcessDied', message: `The trainer ${reason} (pid ${manifest.pid} on ${manifest.host}).`, traceback: '' },
  };
}

/**
 * The last `lines` lines of a text file, reading at most its last 16 KiB; '' if missing. Lines as a
 * terminal shows them: a progress bar redrawn with carriage returns is one line (its last state),
 * and progress-bar lines (tqdm's `42%|████ | 21/50`) are left out: they are not why a run died.
 */
export async function readTail(file: string, lines = 20): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 16 * 1024);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const shown = buf
      .toString('utf8')
      .split('\n')
      .filter((l, i, all) => l || i < all.length - 1)
      .map((l) => l.slice(l.replace(/\r+$/, '').lastIndexOf('\r') + 1).replace(/\r+$/, ''))
      .filter((l) => !PROGRESS_BAR.test(l));
    return shown.slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}

// `rlstudio select-subset` (docs/data-efficiency.md) for the "Select Training Subset (LIMR)" command.
// No `vscode` import: the unit test drives it with the real trainer CLI.
import { execFile } from 'node:child_process';
import type { TrainerCli } from '../python/interpreter';

export type SubsetChoice =
  | { method: 'limr'; size: number }
  | { method: 'limr'; threshold: number }
  | { method: 'drop-solved-unsolved' };

/** What the CLI's `--json` prints: the files written, or why nothing was (exit 2). */
export type SubsetResult =
  | { ok: true; dataset: string; provenance: string; report: string; selected: number; text: string }
  | { ok: false; message: string; text: string | null };

export function subsetArgs(runDir: string, choice: SubsetChoice): string[] {
  const args = ['select-subset', runDir, '--method', choice.method, '--json'];
  if ('size' in choice) args.push('--size', String(choice.size));
  if ('threshold' in choice) args.push('--threshold', String(choice.threshold));
  return args;
}

/** Runs the CLI; rejects only when it did not answer (no trainer, a crash), with its stderr. */
export function selectSubset(cli: TrainerCli, runDir: string, choice: SubsetChoice): Promise<SubsetResult> {
  return new Promise((resolve, reject) => {
    execFile(cli.command, [...cli.args, ...subsetArgs(runDir, choice)], { timeout: 600_000, maxBuffer: 16 << 20, env: { ...process.env, ...cli.env } }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as SubsetResult);
      } catch {
        reject(new Error(`rlstudio select-subset failed: ${(error?.message ?? '').trim()}\n${stderr.trim()}`));
      }
    });
  });
}

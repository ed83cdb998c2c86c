// Runs `rlstudio export-onnx SOURCE` (the trainer CLI of the selected interpreter) with progress
// lines and cancellation; the export writes into a hidden temporary folder and renames it into
// place at the end, so a cancelled export leaves nothing half-written. No `vscode` import.

import { spawn } from 'node:child_process';

export interface ExportCommand {
  command: string;
  args: string[];
  cwd?: string;
}

export interface ExportOptions {
  quantize?: 'int8';
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

const PREFIX = 'export-onnx: ';
const DONE = /^exported to (.+)$/;

/** Resolves with the export folder; rejects with the CLI's own message (it names the file). */
export function runExport(cli: ExportCommand, source: string, options: ExportOptions = {}): Promise<string> {
  const args = [...cli.args, 'export-onnx', source, ...(options.quantize ? ['--quantize', options.quantize] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(cli.command, args, {
      cwd: cli.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out: string | undefined;
    let stderr = '';
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith(PREFIX)) continue;
        const message = line.slice(PREFIX.length);
        out = DONE.exec(message)?.[1] ?? out;
        options.onProgress?.(message);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-8_000)));
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort);
    child.once('error', (error) => reject(new Error(`could not start ${cli.command}: ${error.message}`)));
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(new ExportCancelledError('export cancelled'));
      if (code === 0 && out) return resolve(out);
      const reason = stderr.split('\n').filter((l) => l.startsWith('rlstudio export-onnx:')).at(-1)
        ?? stderr.trim().split('\n').slice(-3).join('\n');
      reject(new Error(reason || `rlstudio export-onnx exited (${signal ?? `code ${code}`})`));
    });
  });
}

export class ExportCancelledError extends Error {}

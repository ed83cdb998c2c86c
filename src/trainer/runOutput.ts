import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { runPaths } from '../runs/runFormat';

/** A per-run output channel showing logs/stdout.log and logs/stderr.log as they grow. */
export class RunOutput implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  private readonly offsets = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly runDir: string, name: string) {
    this.channel = vscode.window.createOutputChannel(`RL Studio Run: ${name}`);
    this.timer = setInterval(() => this.poll(), 500);
    this.poll();
  }

  poll(): void {
    for (const file of ['stdout.log', 'stderr.log'] as const) {
      const full = runPaths(this.runDir).log(file);
      let size: number;
      try {
        size = fs.statSync(full).size;
      } catch {
        continue;
      }
      let offset = this.offsets.get(file) ?? 0;
      if (size < offset) offset = 0; // truncated
      if (size === offset) continue;
      const length = Math.min(size - offset, 1 << 20);
      const buf = Buffer.alloc(length);
      const fd = fs.openSync(full, 'r');
      try {
        fs.readSync(fd, buf, 0, length, offset);
      } finally {
        fs.closeSync(fd);
      }
      this.offsets.set(file, offset + length);
      this.channel.append(buf.toString('utf8'));
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.channel.dispose();
  }
}

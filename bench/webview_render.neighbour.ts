// The webview benchmarks' CPU-bound neighbour: one process that keeps every core busy (a spinning
// thread per core, as a trainer's torch threads do) until killed.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';

export function busyNeighbour(): ChildProcess {
  const spin = 'for (;;) {}';
  const code = `const { Worker } = require('node:worker_threads'); for (let i = 1; i < ${cpus().length}; i++) new Worker(${JSON.stringify(spin)}, { eval: true }); ${spin}`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Emitter } from './emitter';
import type { TailResult } from './jsonlTail';
import { JsonlTail } from './jsonlTail';
import { ColumnarMetrics, toMetricRow } from './metricTable';
import type { CheckpointInfo, DerivedStatus, MetricsAppended, Run, RunEvent, RunManifest, RunProblem } from './model';
import { parseManifest, RUN_FILES, runPaths, stepOfCheckpoint, stepOfShard } from './runFormat';
import type { Liveness } from './status';
import { defaultLiveness, deriveStatus, readTail } from './status';

const MAX_RECENT_EVENTS = 200;
const MAX_PROBLEMS = 50;
/** A run folder with logs but no run.json for this long is a trainer that failed to start. */
const NO_MANIFEST_TIMEOUT_S = 120;

/**
 * One run directory, read incrementally: `refresh()` re-reads run.json only when it changed, tails
 * events.jsonl and metrics.jsonl from their last offsets and lists rollouts/ and checkpoints/.
 */
export class RunReader implements Run {
  readonly id: string;
  readonly metrics = new ColumnarMetrics();
  manifest: RunManifest | undefined;
  derived: DerivedStatus = { status: 'starting' };

  private readonly changed = new Emitter<Run>();
  private readonly appended = new Emitter<MetricsAppended>();
  readonly onDidChange = this.changed.event;
  readonly onDidAppendMetrics = this.appended.event;

  private readonly paths: ReturnType<typeof runPaths>;
  private readonly eventsTail: JsonlTail;
  private readonly metricsTail: JsonlTail;
  private manifestStamp = '';
  /** Why run.json cannot be read, while it cannot (and no earlier version of it was read). */
  private brokenManifest: string | undefined;
  private steps: number[] = [];
  private ckpts: CheckpointInfo[] = [];
  private maxStep: number | undefined;
  private heartbeatT: number | undefined;
  private signOfLifeT: number | undefined;
  private recent: RunEvent[] = [];
  private fileProblems = new Map<string, RunProblem[]>();
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    readonly dir: string,
    private readonly liveness: (lastSignOfLife: number | undefined) => Liveness = defaultLiveness,
  ) {
    this.id = path.basename(dir);
    this.paths = runPaths(dir);
    this.eventsTail = new JsonlTail(this.paths.events);
    this.metricsTail = new JsonlTail(this.paths.metrics);
  }

  name(): string {
    return this.manifest?.name || this.id;
  }
  metricNames(): string[] {
    return this.metrics.names();
  }
  recordedSteps(): number[] {
    return [...this.steps];
  }
  rolloutsFile(step: number): string {
    return this.paths.shard(step);
  }
  checkpoints(): CheckpointInfo[] {
    return [...this.ckpts];
  }
  lastStep(): number | undefined {
    return this.maxStep;
  }
  lastHeartbeat(): number | undefined {
    return this.heartbeatT ?? this.signOfLifeT;
  }
  recentEvents(): readonly RunEvent[] {
    return this.recent;
  }
  problems(): readonly RunProblem[] {
    return [...this.fileProblems.values()].flat();
  }

  /** Reads what is new. Concurrent calls coalesce into one more pass. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  dispose(): void {
    this.changed.dispose();
    this.appended.dispose();
  }

  // ---

  private async readOnce(): Promise<void> {
    let changed = await this.readManifest();
    changed = (await this.readEvents()) || changed;
    const from = await this.readMetrics();
    changed = (await this.listFiles()) || changed;
    changed = (await this.derive()) || changed;
    if (from !== undefined) this.appended.fire({ run: this, from });
    if (changed || from !== undefined) this.changed.fire(this);
  }

  private async readManifest(): Promise<boolean> {
    const file = this.paths.manifest;
    let stamp: string;
    try {
      const st = await fs.stat(file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.manifestStamp) return false;
    this.manifestStamp = stamp;
    if (stamp === 'missing') {
      this.brokenManifest = undefined;
      this.setProblems(RUN_FILES.manifest, this.manifest ? [{ file: RUN_FILES.manifest, message: `${RUN_FILES.manifest} was deleted` }] : []);
      return true;
    }
    try {
      const { manifest, problems } = parseManifest(JSON.parse(await fs.readFile(file, 'utf8')), this.id);
      this.brokenManifest = manifest ? undefined : problems.join('; ');
      // Valid JSON that is no manifest is read again when the file changes (its stamp), not on every poll.
      if (manifest) {
        this.manifest = manifest;
        const updated = Date.parse(manifest.updatedAt) / 1000;
        if (Number.isFinite(updated)) this.noteLife(updated);
      }
      this.setProblems(RUN_FILES.manifest, problems.map((message) => ({ file: RUN_FILES.manifest, message })));
    } catch (err) {
      this.manifestStamp = ''; // try again next time: a writer may not have finished
      this.brokenManifest = `${RUN_FILES.manifest} is not valid JSON: ${(err as Error).message}`;
      this.setProblems(RUN_FILES.manifest, [{ file: RUN_FILES.manifest, message: this.brokenManifest }]);
    }
    return true;
  }

  private async readEvents(): Promise<boolean> {
    let changed = false;
    for (let more = true; more; ) {
      const batch = await this.eventsTail.read();
      more = batch.more;
      changed = this.addEvents(batch) || changed;
    }
    return changed;
  }

  private addEvents({ rows, reset, bad }: TailResult): boolean {
    if (reset) {
      this.recent = [];
      this.heartbeatT = undefined;
    }
    this.addLineProblems(RUN_FILES.events, reset, bad);
    for (const row of rows) {
      if (typeof row !== 'object' || row === null || typeof (row as RunEvent).t !== 'number') continue;
      const event = row as RunEvent;
      this.noteLife(event.t);
      switch (event.type) {
        case 'heartbeat':
          this.heartbeatT = event.t;
          this.noteStep(event.step);
          break;
        case 'warning':
        case 'error':
        case 'reward_error':
        case 'resume':
        case 'control':
          this.recent.push(event);
          if (this.recent.length > MAX_RECENT_EVENTS) this.recent.splice(0, this.recent.length - MAX_RECENT_EVENTS);
          break;
      }
    }
    return reset || rows.length > 0 || bad.length > 0;
  }

  /** Returns the index of the first new metric row, or undefined if nothing changed. */
  private async readMetrics(): Promise<number | undefined> {
    let from: number | undefined;
    for (let more = true; more; ) {
      const batch = await this.metricsTail.read();
      more = batch.more;
      const batchFrom = this.addMetrics(batch);
      if (batchFrom !== undefined) from = batch.reset || from === undefined ? batchFrom : Math.min(from, batchFrom);
    }
    return from;
  }

  private addMetrics({ rows, reset, bad }: TailResult): number | undefined {
    if (reset) this.metrics.clear();
    const from = this.metrics.length;
    const problems: { line?: number; message: string }[] = [...bad];
    for (const value of rows) {
      const row = toMetricRow(value);
      if (typeof row === 'string') {
        problems.push({ message: row });
        continue;
      }
      this.metrics.append(row);
      this.noteStep(row.step);
      this.noteLife(row.t);
    }
    this.addLineProblems(RUN_FILES.metrics, reset, problems);
    return reset || rows.length > 0 ? from : undefined;
  }

  private async listFiles(): Promise<boolean> {
    const steps = (await readdirOrEmpty(this.paths.rollouts))
      .flatMap((f) => stepOfShard(f) ?? [])
      .sort((a, b) => a - b);
    const ckptRoot = this.paths.checkpoints;
    const ckpts = (await readdirOrEmpty(ckptRoot))
      .flatMap((f) => {
        const step = stepOfCheckpoint(f);
        return step === undefined ? [] : [{ step, dir: path.join(ckptRoot, f) }];
      })
      .sort((a, b) => a.step - b.step);
    const changed = steps.join() !== this.steps.join() || ckpts.map((c) => c.step).join() !== this.ckpts.map((c) => c.step).join();
    this.steps = steps;
    this.ckpts = ckpts;
    return changed;
  }

  private async derive(): Promise<boolean> {
    const before = JSON.stringify(this.derived);
    if (!this.manifest && this.brokenManifest) {
      const reason = 'run.json is broken';
      this.derived = { status: 'failed', reason, error: { type: 'BrokenManifest', message: this.brokenManifest, traceback: '' } };
    } else if (!this.manifest) {
      this.derived = await this.deriveWithoutManifest();
    } else {
      const next = deriveStatus(this.manifest, this.liveness(this.signOfLifeT));
      if (next.reason) next.stderrTail = this.derived.reason ? this.derived.stderrTail : await readTail(this.paths.log('stderr.log'));
      this.derived = next;
    }
    return JSON.stringify(this.derived) !== before;
  }

  /** Only logs/ exists: the launcher made the folder; the trainer has not written run.json (yet). */
  private async deriveWithoutManifest(): Promise<DerivedStatus> {
    const stderr = this.paths.log('stderr.log');
    let age = 0;
    try {
      age = Date.now() / 1000 - (await fs.stat(stderr)).mtimeMs / 1000;
    } catch {
      // no stderr.log: nothing to judge by yet
    }
    if (age < NO_MANIFEST_TIMEOUT_S) return { status: 'starting' };
    const reason = 'the trainer did not start';
    return { status: 'failed', reason, error: { type: 'NoRunManifest', message: `${reason}: no run.json after ${NO_MANIFEST_TIMEOUT_S} s`, traceback: '' }, stderrTail: await readTail(stderr) };
  }

  private noteStep(step: unknown): void {
    if (typeof step === 'number' && (this.maxStep === undefined || step > this.maxStep)) this.maxStep = step;
  }

  private noteLife(t: number): void {
    if (this.signOfLifeT === undefined || t > this.signOfLifeT) this.signOfLifeT = t;
  }

  private addLineProblems(file: string, reset: boolean, problems: { line?: number; message: string }[]): void {
    const kept = reset ? [] : (this.fileProblems.get(file) ?? []);
    kept.push(...problems.map((p) => ({ file, ...p })));
    this.setProblems(file, kept.slice(-MAX_PROBLEMS));
  }

  private setProblems(file: string, problems: RunProblem[]): void {
    if (problems.length) this.fileProblems.set(file, problems);
    else this.fileProblems.delete(file);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

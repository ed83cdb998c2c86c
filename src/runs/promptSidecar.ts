// The trainer's prompt index of a run, rollouts/prompts.jsonl (docs/run-format.md): one line per
// shard written, {step, bytes, prompts}, with the hashes of the step's distinct prompts. With it,
// "follow this prompt across steps" opens no shard. Read once, then only what was appended.

import { createHash } from 'node:crypto';
import { JsonlTail } from './jsonlTail';

/** A prompt's key in prompts.jsonl: the first 16 hex digits of the SHA-256 of its UTF-8 text. */
export function promptKey(prompt: string): string {
  return createHash('sha256').update(prompt, 'utf8').digest('hex').slice(0, 16);
}

/**
 * A key as the reader holds it: its first 13 hex digits as an integer (52 bits, exact in a double;
 * two prompts share one with odds of about 1 in 2^52 per pair). Also how the reader indexes the
 * prompts of shards the file does not cover (promptIndex.ts).
 */
export function keyNumber(key: string): number {
  return Number.parseInt(key.slice(0, 13), 16);
}

/** A prompt's number (keyNumber of its promptKey). */
export function promptNumber(prompt: string): number {
  return keyNumber(promptKey(prompt));
}

const KEY = /^[0-9a-f]{16}$/;

/** One step's line: the size of the shard it describes, and its prompts' numbers. */
interface StepLine {
  bytes: number;
  keys: Float64Array;
}

/**
 * A run's prompts.jsonl, as far as it has been read. Holds 8 bytes per prompt key, at most
 * `maxPrompts` keys: past that, the steps read first are dropped (and answered from their shards).
 */
export class PromptSidecar {
  private tail: JsonlTail;
  private readonly steps = new Map<number, StepLine>();
  private size = 0;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly maxPrompts: number,
  ) {
    this.tail = new JsonlTail(file);
  }

  /** Prompt keys held, in all. */
  get held(): number {
    return this.size;
  }

  /**
   * Reads what was appended since the last call; overlapping calls read one after the other. The
   * file is optional: when it cannot be read, everything is forgotten (and asked of the shards),
   * and the next call reads it from the start.
   */
  refresh(): Promise<void> {
    this.reading = this.reading.then(() =>
      this.readTail().catch(() => {
        this.tail = new JsonlTail(this.file);
        this.steps.clear();
        this.size = 0;
      }),
    );
    return this.reading;
  }

  /** Each step's line read so far: the step, its shard's size and its prompts' numbers. */
  *lines(): IterableIterator<{ step: number; bytes: number; keys: Float64Array }> {
    for (const [step, line] of this.steps) yield { step, bytes: line.bytes, keys: line.keys };
  }

  /**
   * Whether the step's shard holds the prompt, or undefined where the file does not tell: no line
   * for the step, or the last one describes a shard of another size (a step redone after a resume
   * whose line is not written yet).
   */
  holds(step: number, bytes: number, key: string): boolean | undefined {
    const line = this.steps.get(step);
    return line?.bytes === bytes ? line.keys.includes(keyNumber(key)) : undefined;
  }

  private async readTail(): Promise<void> {
    for (let more = true; more; ) {
      const result = await this.tail.read();
      if (result.reset) {
        this.steps.clear();
        this.size = 0;
      }
      for (const row of result.rows) this.add(row);
      more = result.more;
    }
  }

  /** Keeps a line; a later line for the same step replaces it. A line that is not one drops the step. */
  private add(row: unknown): void {
    const { step, bytes, prompts } = (row ?? {}) as { step?: unknown; bytes?: unknown; prompts?: unknown };
    if (!Number.isSafeInteger(step)) return;
    this.drop(step as number);
    if (!Number.isSafeInteger(bytes) || !Array.isArray(prompts) || !prompts.every((p) => typeof p === 'string' && KEY.test(p))) {
      return;
    }
    const keys = Float64Array.from(prompts as string[], keyNumber);
    this.steps.set(step as number, { bytes: bytes as number, keys });
    this.size += prompts.length;
    for (const [oldest] of this.steps) {
      if (this.size <= this.maxPrompts || oldest === step) break;
      this.drop(oldest);
    }
  }

  private drop(step: number): void {
    this.size -= this.steps.get(step)?.keys.length ?? 0;
    this.steps.delete(step);
  }
}

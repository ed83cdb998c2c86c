// The prompt index of the rollout reader (rollouts.ts): which shards hold which prompts, so that
// "follow this prompt across steps" reads each shard's prompts once, not on every call. For the
// shards that the trainer's rollouts/prompts.jsonl (promptSidecar.ts) does not cover.

/**
 * Which prompts each shard holds: per shard (path and stamp), the numbers of its distinct prompts
 * (promptNumber, the same key as rollouts/prompts.jsonl), not their text (a run's prompts can add up
 * to hundreds of MB). Past `maxPrompts` numbers in all, the least recently used shards go.
 */
export class PromptIndex {
  private readonly shards = new Map<string, { stamp: string; hashes: Float64Array }>();
  private size = 0;

  constructor(private readonly maxPrompts: number) {}

  /** Hashes held, in all. */
  get held(): number {
    return this.size;
  }

  get(path: string, stamp: string): Float64Array | undefined {
    const entry = this.shards.get(path);
    if (entry?.stamp !== stamp) {
      return undefined;
    }
    this.shards.delete(path);
    this.shards.set(path, entry);
    return entry.hashes;
  }

  set(path: string, stamp: string, hashes: Float64Array): void {
    this.size -= this.shards.get(path)?.hashes.length ?? 0;
    this.shards.delete(path);
    this.shards.set(path, { stamp, hashes });
    this.size += hashes.length;
    for (const [oldest, entry] of this.shards) {
      if (this.size <= this.maxPrompts || oldest === path) break;
      this.shards.delete(oldest);
      this.size -= entry.hashes.length;
    }
  }
}

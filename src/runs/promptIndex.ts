// The prompt index of the rollout reader (rollouts.ts): which shards hold which prompts, so that
// "follow this prompt across steps" reads each shard's prompts once, not on every call. For the
// shards that the trainer's rollouts/prompts.jsonl (promptSidecar.ts) does not cover.

import type { FileMetaData } from 'hyparquet';

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

/**
 * A shard's prompts told by its footer alone, or undefined where it cannot tell. A prompt index has
 * one prompt (run format), so a row group holding at most two prompt indexes holds exactly the
 * prompts its statistics give as exact min and max. With GRPO groups of 8 or 16 in row groups of 16
 * every row group does; otherwise the prompt column is read. Only shards written before the trainer
 * kept statistics to the scalar columns have them: newer ones are covered by rollouts/prompts.jsonl.
 */
export function promptsInFooter(metadata: FileMetaData): string[] | undefined {
  const prompts: string[] = [];
  for (const group of metadata.row_groups) {
    const stats = (name: string) => group.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data?.statistics;
    const index = stats('prompt_index');
    const prompt = stats('prompt');
    const indexes = Number(index?.max_value) - Number(index?.min_value);
    if (!(indexes <= 1) || Number(prompt?.null_count) !== 0 || !prompt?.is_min_value_exact || !prompt.is_max_value_exact) {
      return undefined;
    }
    prompts.push(String(prompt.min_value), String(prompt.max_value));
  }
  return prompts;
}

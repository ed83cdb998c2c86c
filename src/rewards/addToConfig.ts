// "Add to Run Config": appends `{name, ref}` to a run config's `rewards:` list, keeping the rest
// of the YAML (comments, order, formatting) as it was. Pure, so it is unit-tested without VS Code.

import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';

export interface RewardEntry {
  name: string;
  ref: string;
  weight?: number;
}

export class AddToConfigError extends Error {}

/** The new config text; throws AddToConfigError when the file cannot take the entry. */
export function addRewardToConfig(text: string, entry: RewardEntry, source = 'the config'): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0].line;
    throw new AddToConfigError(`${source}${line ? `:${line}` : ''}: invalid YAML (${error.message.split('\n')[0]})`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new AddToConfigError(`${source}: the config must be a mapping of keys to values`);
  }
  let rewards = doc.get('rewards', true);
  if (rewards === undefined || rewards === null) {
    rewards = new YAMLSeq();
    doc.set('rewards', rewards);
  }
  if (!isSeq(rewards)) throw new AddToConfigError(`${source}: \`rewards\` must be a list`);
  const existing = rewards.items.map((item) => (isMap(item) ? item.get('name') : undefined));
  if (rewards.items.some((item) => isMap(item) && item.get('ref') === entry.ref)) {
    throw new AddToConfigError(`${source} already uses ${entry.ref}`);
  }
  let name = entry.name;
  for (let n = 2; existing.includes(name); n++) name = `${entry.name}_${n}`;
  rewards.add(doc.createNode({ name, ref: entry.ref, weight: entry.weight ?? 1.0 }));
  return doc.toString();
}

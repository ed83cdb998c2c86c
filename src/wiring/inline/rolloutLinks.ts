// Command links to rollout documents for hovers and CodeLenses. A link's argument is a number this
// window handed out, never run data, so a Markdown hover can be trusted for this one command while
// everything from the run in it stays escaped text. No `vscode` import.

import type { RolloutAddress } from '../../inline/rolloutAddress';

import { COMMAND_IDS } from '../../commandIds';

const OPEN_LINKED_COMMAND = COMMAND_IDS.openLinkedRollout;

/** Addresses kept for links (the oldest are forgotten first). */
const MAX_LINKS = 4096;

export class RolloutLinks {
  private readonly addresses = new Map<number, RolloutAddress>();
  private next = 1;

  /** A link that opens `address`: `uri` for Markdown, `command` for isTrusted.enabledCommands. */
  link(address: RolloutAddress): { uri: string; command: string } {
    const id = this.next++;
    this.addresses.set(id, address);
    if (this.addresses.size > MAX_LINKS) this.addresses.delete(this.addresses.keys().next().value as number);
    return { uri: `command:${OPEN_LINKED_COMMAND}?${encodeURIComponent(JSON.stringify([id]))}`, command: OPEN_LINKED_COMMAND };
  }

  resolve(id: unknown): RolloutAddress | undefined {
    return typeof id === 'number' ? this.addresses.get(id) : undefined;
  }
}

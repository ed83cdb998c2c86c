// Walking rollout documents: next/previous sample of the group, next/previous step that sampled the
// same prompt, next/previous forking token, the colour measure, diffs, and the CodeLens line on top
// of each document with the same actions. Commands act on the active rollout editor.

import * as vscode from 'vscode';
import { nextForkingUnit } from '../../inline/heat';
import { ROLLOUT_SCHEME, type RolloutAddress } from '../../inline/rolloutAddress';
import { formatNumber } from '../../common/format';
import { COMMAND_IDS as ID } from '../../commandIds';
import { rolloutUri, type OpenRollout, type RolloutDocuments } from './rolloutDocuments';

type StepAddress = Extract<RolloutAddress, { kind: 'step' }>;

export class RolloutNavigation implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly documents: RolloutDocuments,
    private readonly inspect: (runId: string, step: number, row: number) => void,
  ) {
    this.subscriptions.push(this.lensesChanged, vscode.languages.registerCodeLensProvider({ scheme: ROLLOUT_SCHEME }, this));
  }

  switchMeasure(): void {
    this.documents.cycleMeasure();
    this.lensesChanged.fire();
  }

  openInInspector(): void {
    const open = this.active()?.open;
    if (open?.address.kind === 'eval') void vscode.window.showInformationMessage('RL Studio: an evaluation sample is not in the rollout inspector; Compare Checkpoints shows it beside the other checkpoints.');
    else if (open) this.inspect(open.loaded.run.id, open.loaded.detail.step, open.loaded.detail.row);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const open = this.documents.get(document);
    if (!open) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, tooltip: string) => new vscode.CodeLens(range, { title, command, tooltip });
    if (open.address.kind === 'eval') {
      // An eval sample: the prompt's other samples at this checkpoint; no steps, no forking mask, no inspector row.
      return [
        lens('$(arrow-left) Sample', ID.previousSample, 'Previous sample of this prompt at this checkpoint (Alt+Left)'),
        lens('Sample $(arrow-right)', ID.nextSample, 'Next sample of this prompt at this checkpoint (Alt+Right)'),
        lens(`Colour: ${this.documents.measure}`, ID.switchColorMode, 'Switch the colour: entropy, probability, advantage (Alt+C)'),
      ];
    }
    return [
      lens('$(arrow-left) Sample', ID.previousSample, 'Previous sample of this group (Alt+Left)'),
      lens('Sample $(arrow-right)', ID.nextSample, 'Next sample of this group (Alt+Right)'),
      lens('$(arrow-up) Step', ID.previousStep, 'This prompt at the previous step that sampled it (Alt+Up)'),
      lens('Step $(arrow-down)', ID.nextStep, 'This prompt at the next step that sampled it (Alt+Down)'),
      lens('Next Forking Token', ID.nextForkingToken, 'Go to the next token in the forking (high-entropy) mask (F8)'),
      lens(`Colour: ${this.documents.measure}`, ID.switchColorMode, 'Switch the colour: entropy, probability, advantage (Alt+C)'),
      lens('Diff with…', ID.diffWithSample, 'Compare with another sample of this group, or this prompt at another step, in the diff editor'),
      lens('Open in Inspector', ID.openRolloutInInspector, 'Show this rollout in the rollout inspector'),
    ];
  }

  private active(): { editor: vscode.TextEditor; open: OpenRollout } | undefined {
    const editor = vscode.window.activeTextEditor;
    const open = editor && this.documents.get(editor.document);
    if (!editor || !open) {
      void vscode.window.showInformationMessage('RL Studio: open a rollout document first ("RL Studio: Open Rollout…").');
      return undefined;
    }
    return { editor, open };
  }

  async sample(direction: 1 | -1): Promise<void> {
    const open = this.active()?.open;
    if (!open) return;
    const group = open.loaded.group;
    const at = group.findIndex((r) => r.groupIndex === open.loaded.detail.groupIndex);
    const next = group[(at + direction + group.length) % group.length];
    await this.documents.show({ ...open.address, sample: next.groupIndex });
  }

  async step(direction: 1 | -1): Promise<void> {
    const open = this.active()?.open;
    if (!open || open.address.kind !== 'step') return;
    const address: StepAddress = open.address;
    const { run, detail } = open.loaded;
    const steps = await this.documents.source.stepsWithPrompt(run, detail.prompt);
    const target = direction > 0 ? steps.find((s) => s > address.step) : steps.filter((s) => s < address.step).at(-1);
    if (target === undefined) {
      void vscode.window.showInformationMessage(`RL Studio: no ${direction > 0 ? 'later' : 'earlier'} recorded step sampled this prompt.`);
      return;
    }
    await this.documents.show(await this.atStep(open, target));
  }

  /** The same prompt (and sample index, when that step has it) at another step. */
  private async atStep(open: OpenRollout, step: number): Promise<RolloutAddress> {
    const { run, detail } = open.loaded;
    const group = (await this.documents.source.stepScores(run, step)).filter((r) => r.prompt === detail.prompt);
    const same = group.find((r) => r.groupIndex === detail.groupIndex) ?? group[0];
    return { ...(open.address as StepAddress), step, prompt: same.promptIndex, sample: same.groupIndex };
  }

  forking(direction: 1 | -1): void {
    const active = this.active();
    if (!active) return;
    const { editor, open } = active;
    const position = editor.selection.start;
    let unit = -1;
    const ranges = open.doc.ranges;
    // The unit at or before the cursor (the header counts as before the first).
    for (let u = 0; u < ranges.length; u++) {
      const start = ranges[u].start;
      if (start.line < position.line || (start.line === position.line && start.character <= position.character)) unit = u;
      else break;
    }
    const from = unit < 0 && direction < 0 ? 0 : unit;
    const next = nextForkingUnit(open.doc, open.loaded.detail, from, direction);
    if (next < 0) {
      void vscode.window.showInformationMessage(
        open.loaded.detail.entropyThreshold === null ? 'RL Studio: this rollout has no forking mask (every token was trained).' : 'RL Studio: no forking token in this rollout.',
      );
      return;
    }
    const r = ranges[next];
    const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** Diff with another sample of the group, or with this prompt at another step that sampled it. */
  async diff(): Promise<void> {
    const open = this.active()?.open;
    if (!open || open.address.kind !== 'step') return;
    const address = open.address;
    const { run, detail, group } = open.loaded;
    const steps = (await this.documents.source.stepsWithPrompt(run, detail.prompt)).filter((s) => s !== address.step);
    type Item = vscode.QuickPickItem & { target?: () => Promise<RolloutAddress> };
    const items: Item[] = [
      ...group
        .filter((r) => r.groupIndex !== detail.groupIndex)
        .map((r): Item => ({ label: `sample ${r.groupIndex}`, description: `reward ${formatNumber(r.reward)}`, target: async () => ({ ...address, sample: r.groupIndex }) })),
      { label: 'this prompt at another step', kind: vscode.QuickPickItemKind.Separator },
      ...steps.reverse().map((s): Item => ({ label: `step ${s}`, description: 'same prompt, same sample index', target: () => this.atStep(open, s) })),
    ];
    if (!items.some((i) => i.target)) {
      void vscode.window.showInformationMessage('RL Studio: no other sample of this group and no other step with this prompt.');
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'Diff with which rollout?' });
    if (pick?.target) await diffRollouts(address, await pick.target());
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

/** Two rollouts side by side in VS Code's diff editor (the heat decorations apply to both sides). */
export async function diffRollouts(left: RolloutAddress, right: RolloutAddress): Promise<void> {
  const name = (a: RolloutAddress) => (a.kind === 'step' ? `step ${a.step} · sample ${a.sample}` : `checkpoint ${a.checkpoint} · sample ${a.sample}`);
  await vscode.commands.executeCommand('vscode.diff', rolloutUri(left), rolloutUri(right), `${name(left)} ↔ ${name(right)}`);
}

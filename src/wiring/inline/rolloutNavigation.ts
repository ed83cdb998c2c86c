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
    if (open) this.inspect(open.loaded.run.id, open.loaded.detail.step, open.loaded.detail.row);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const open = this.documents.get(document);
    if (!open) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, tooltip: string) => new vscode.CodeLens(range, { title, command, tooltip });
    return [
      lens('$(arrow-left) Sample', ID.previousSample, 'Previous sample of this group (Alt+Left)'),
      lens('Sample $(arrow-right)', ID.nextSample, 'Next sample of this group (Alt+Right)'),
      lens('$(arrow-up) Step', ID.previousStep, 'This prompt at the previous step that sampled it (Alt+Up)'),
      lens('Step $(arrow-down)', ID.nextStep, 'This prompt at the next step that sampled it (Alt+Down)'),
      lens('Next Forking Token', ID.nextForkingToken, 'Go to the next token in the forking (high-entropy) mask (F8)'),
      lens(`Colour: ${this.documents.measure}`, ID.switchColorMode, 'Switch the colour: entropy, probability, advantage (Alt+C)'),
      lens('Diff with Sample…', ID.diffWithSample, 'Compare with another sample of this group in the diff editor'),
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
    if (!open || open.address.kind !== 'step') return;
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
    const rows = await this.documents.source.stepScores(run, target);
    const group = rows.filter((r) => r.prompt === detail.prompt);
    const same = group.find((r) => r.groupIndex === detail.groupIndex) ?? group[0];
    await this.documents.show({ ...address, step: target, prompt: same.promptIndex, sample: same.groupIndex });
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

  async diff(): Promise<void> {
    const open = this.active()?.open;
    if (!open || open.address.kind !== 'step') return;
    const address = open.address;
    const others = open.loaded.group.filter((r) => r.groupIndex !== open.loaded.detail.groupIndex);
    if (others.length === 0) {
      void vscode.window.showInformationMessage('RL Studio: this group has no other sample.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      others.map((r) => ({ label: `sample ${r.groupIndex}`, description: `reward ${formatNumber(r.reward)}`, sample: r.groupIndex })),
      { title: 'Diff with which sample?' },
    );
    if (!pick) return;
    await diffRollouts(address, { ...address, sample: pick.sample });
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

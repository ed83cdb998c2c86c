import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../commandIds';
import { markdownCodeBlock, markdownText as escape } from '../common/untrustedText';
import { checkpointExports, type RunExport } from '../onnx/exportInfo';
import type { CheckpointInfo, Run, RunStatus, RunStore } from '../runs/model';
import { LOG_FILES, RUN_FILES, runPaths } from '../runs/runFormat';
import { describeRun, formatDuration, runDuration, STATUS_LABELS } from './format';

/** Tree nodes. Commands contributed to the run explorer receive these as their first argument. */
export type RunNode =
  | { kind: 'run'; run: Run }
  | { kind: 'checkpoints'; run: Run }
  | { kind: 'checkpoint'; run: Run; checkpoint: CheckpointInfo }
  | { kind: 'export'; run: Run; checkpoint: CheckpointInfo; export: RunExport }
  | { kind: 'rollouts'; run: Run }
  | { kind: 'rolloutStep'; run: Run; step: number }
  | { kind: 'rolloutPrompt'; run: Run; step: number; promptIndex: number; label: string; description: string }
  | { kind: 'rolloutSample'; run: Run; step: number; promptIndex: number; groupIndex: number; label: string; description: string }
  | { kind: 'config'; run: Run }
  | { kind: 'logs'; run: Run }
  | { kind: 'log'; run: Run; file: string };

const ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  starting: new vscode.ThemeIcon('loading~spin'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  stopping: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.yellow')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  stopped: new vscode.ThemeIcon('circle-slash'),
};

/** Lists the prompts of a recorded step and the samples of a prompt (the inline feature reads shards). */
export interface RolloutBrowser {
  prompts(run: Run, step: number): Promise<{ promptIndex: number; label: string; description: string }[]>;
  samples(run: Run, step: number, promptIndex: number): Promise<{ groupIndex: number; label: string; description: string }[]>;
}

/** The "Runs" view: one item per run, with checkpoints, rollouts, config and logs below it. */
export class RunTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  private timer: NodeJS.Timeout | undefined;

  /** Set by the inline feature: step items then expand to prompts and samples. */
  rollouts: RolloutBrowser | undefined;

  constructor(private readonly store: RunStore) {
    // Coalesce bursts of run changes into one refresh every 250 ms at most.
    this.subscription = store.onDidChangeRuns(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.changed.fire(undefined);
      }, 250);
    });
  }

  /** Redraws the tree now (e.g. a new ONNX export under a checkpoint: not a run-file change). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: RunNode): RunNode[] | Promise<RunNode[]> {
    if (!node) return this.store.runs().map((run) => ({ kind: 'run', run }));
    const run = node.run;
    switch (node.kind) {
      case 'run':
        return [
          { kind: 'checkpoints', run },
          { kind: 'rollouts', run },
          { kind: 'config', run },
          { kind: 'logs', run },
        ];
      case 'checkpoints':
        return run.checkpoints().map((checkpoint) => ({ kind: 'checkpoint', run, checkpoint }));
      case 'checkpoint':
        return checkpointExports(run.dir, node.checkpoint.dir).map((e) => ({ kind: 'export', run, checkpoint: node.checkpoint, export: e }));
      case 'rollouts':
        return run.recordedSteps().map((step) => ({ kind: 'rolloutStep', run, step }));
      case 'rolloutStep':
        return this.rolloutChildren(node);
      case 'rolloutPrompt':
        return this.rolloutChildren(node);
      case 'logs':
        return LOG_FILES.map((f) => ({ kind: 'log', run, file: runPaths(run.dir).log(f) }));
      default:
        return [];
    }
  }

  private rolloutChildren(node: RunNode): Promise<RunNode[]> {
    return rolloutChildrenOf(this.rollouts, node);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    const run = node.run;
    const None = vscode.TreeItemCollapsibleState.None;
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.kind) {
      case 'run': {
        const item = new vscode.TreeItem(run.name(), Collapsed);
        item.id = run.id;
        item.description = describeRun(run);
        item.iconPath = ICONS[run.derived.status];
        item.tooltip = runTooltip(run);
        item.contextValue = `run-${run.derived.status}`;
        return item;
      }
      case 'checkpoints': {
        const item = new vscode.TreeItem('Checkpoints', run.checkpoints().length ? Collapsed : None);
        item.id = `${run.id}/checkpoints`;
        item.description = String(run.checkpoints().length);
        item.iconPath = new vscode.ThemeIcon('save-all');
        return item;
      }
      case 'checkpoint': {
        const exports = checkpointExports(run.dir, node.checkpoint.dir);
        const item = new vscode.TreeItem(`step ${node.checkpoint.step}`, exports.length ? Collapsed : None);
        item.id = `${run.id}/checkpoint/${node.checkpoint.step}`;
        item.resourceUri = vscode.Uri.file(node.checkpoint.dir);
        item.iconPath = new vscode.ThemeIcon('save');
        item.contextValue = 'checkpoint';
        if (exports.length) item.description = `ONNX: ${exports.map((e) => e.label).join(', ')}`;
        return item;
      }
      case 'export': {
        const item = new vscode.TreeItem(`ONNX ${node.export.label}`, None);
        item.id = `${run.id}/checkpoint/${node.checkpoint.step}/onnx/${node.export.name}`;
        item.resourceUri = vscode.Uri.file(node.export.dir);
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.tooltip = node.export.dir;
        item.contextValue = 'onnxExport';
        return item;
      }
      case 'rollouts': {
        const item = new vscode.TreeItem('Rollouts', run.recordedSteps().length ? Collapsed : None);
        item.id = `${run.id}/rollouts`;
        item.description = String(run.recordedSteps().length);
        item.iconPath = new vscode.ThemeIcon('list-flat');
        return item;
      }
      case 'rolloutStep': {
        const item = new vscode.TreeItem(`step ${node.step}`, this.rollouts ? Collapsed : None);
        item.id = `${run.id}/rollouts/${node.step}`;
        item.iconPath = new vscode.ThemeIcon('symbol-array');
        item.contextValue = 'rolloutStep';
        item.command = { command: COMMAND_IDS.inspectRollouts, title: 'Inspect Rollouts', arguments: [node] };
        return item;
      }
      case 'rolloutPrompt': {
        const item = new vscode.TreeItem(node.label, Collapsed);
        item.id = `${run.id}/rollouts/${node.step}/${node.promptIndex}`;
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon('comment-discussion');
        return item;
      }
      case 'rolloutSample': {
        const item = new vscode.TreeItem(node.label, None);
        item.id = `${run.id}/rollouts/${node.step}/${node.promptIndex}/${node.groupIndex}`;
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon('file-text');
        item.tooltip = 'Open as a read-only document with its token heat';
        item.command = { command: COMMAND_IDS.openRolloutFromTree, title: 'Open Rollout', arguments: [node] };
        return item;
      }
      case 'config': {
        const item = new vscode.TreeItem('Config', None);
        item.id = `${run.id}/config`;
        item.iconPath = new vscode.ThemeIcon('settings-gear');
        item.description = run.manifest?.configPath ? path.basename(run.manifest.configPath) : RUN_FILES.manifest;
        item.command = { command: COMMAND_IDS.openRunConfig, title: 'Open Config', arguments: [node] };
        return item;
      }
      case 'logs': {
        const item = new vscode.TreeItem('Logs', Collapsed);
        item.id = `${run.id}/logs`;
        item.iconPath = new vscode.ThemeIcon('output');
        return item;
      }
      case 'log': {
        const item = new vscode.TreeItem(path.basename(node.file), None);
        item.id = `${run.id}/log/${path.basename(node.file)}`;
        item.resourceUri = vscode.Uri.file(node.file);
        item.iconPath = new vscode.ThemeIcon('file');
        item.command = { command: 'vscode.open', title: 'Open Log', arguments: [vscode.Uri.file(node.file)] };
        return item;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function runTooltip(run: Run): vscode.MarkdownString {
  // Run data is untrusted: no command links, no HTML; error text goes into code blocks.
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  const m = run.manifest;
  md.appendMarkdown(`**${escape(run.name())}** — ${STATUS_LABELS[run.derived.status]}\n\n`);
  if (m) {
    md.appendMarkdown(`Model: ${escape(m.model || 'unknown')}  \nAlgorithm: ${escape(m.algorithm)}  \n`);
    const started = new Date(m.createdAt);
    if (!Number.isNaN(started.getTime())) md.appendMarkdown(`Started: ${started.toLocaleString()}  \n`);
    const duration = runDuration(run);
    if (duration !== undefined) md.appendMarkdown(`Duration: ${formatDuration(duration)}  \n`);
  }
  const desc = describeRun(run);
  if (desc) md.appendMarkdown(`${escape(desc)}\n\n`);
  const error = run.derived.error;
  if (error) {
    md.appendMarkdown(`\n**Error:**`);
    md.appendMarkdown(markdownCodeBlock(`${error.type}: ${error.message}`));
  }
  if (run.derived.stderrTail) {
    md.appendMarkdown(`\n**Last lines of stderr:**`);
    md.appendMarkdown(markdownCodeBlock(run.derived.stderrTail));
  }
  for (const p of run.problems().slice(0, 5)) md.appendMarkdown(`\n$(warning) ${escape(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`)}  `);
  return md;
}

/** A recorded step's prompts, or a prompt's samples; an unreadable shard shows no children (the inspector names it). */
async function rolloutChildrenOf(browser: RolloutBrowser | undefined, node: RunNode): Promise<RunNode[]> {
  if (!browser) return [];
  try {
    if (node.kind === 'rolloutStep') {
      return (await browser.prompts(node.run, node.step)).map((p) => ({ kind: 'rolloutPrompt', run: node.run, step: node.step, ...p }));
    }
    if (node.kind === 'rolloutPrompt') {
      const samples = await browser.samples(node.run, node.step, node.promptIndex);
      return samples.map((s) => ({ kind: 'rolloutSample', run: node.run, step: node.step, promptIndex: node.promptIndex, ...s }));
    }
  } catch {
    // fall through
  }
  return [];
}

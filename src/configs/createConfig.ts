import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunConfigChoices } from './runConfigTemplate';
import { ALGORITHMS, BUILTIN_REWARDS, findRewardFunctions, PRESETS, renderRunConfig } from './runConfigTemplate';

const REASONING_GYM_TASKS = ['basic_arithmetic', 'chain_sum', 'leg_counting', 'countdown', 'gsm_symbolic', 'simple_equations'];

/** "RL Studio: Create Run Config": quick picks for the algorithm, model, data, rewards (not for DPO) and
 * settings; writes commented YAML. */
export async function createRunConfig(): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('Open a folder first: the run config is written into it.');
    return undefined;
  }
  const root = folder.uri.fsPath;
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/') || '.';
  const title = 'Create Run Config';

  const algorithmPick = await vscode.window.showQuickPick(
    ALGORITHMS.map((a) => ({ label: a.label, detail: a.detail, choice: a.choice })),
    { title: `${title}: algorithm`, ignoreFocusOut: true },
  );
  if (!algorithmPick) return undefined;
  const algorithm = algorithmPick.choice;
  const dpo = algorithm.name === 'dpo';
  const steps = dpo ? 3 : 4;

  const localModels = await findModelFolders(rel);
  const modelPick = await vscode.window.showQuickPick(
    [
      { label: 'Embedded SmolLM2-135M-Instruct', description: 'embedded:smollm2-135m', detail: 'Ships with the trainer; runs offline on a CPU', value: 'embedded:smollm2-135m' },
      ...localModels.map((folder) => ({ label: folder, description: 'model folder in the workspace', detail: undefined, value: folder })),
      { label: 'A local model folder…', description: undefined, detail: 'A folder saved with save_pretrained (config.json, tokenizer, weights)', value: '' },
    ],
    { title: `${title} (1/${steps}): model${dpo ? ' (the reference is this initial policy)' : ''}`, ignoreFocusOut: true },
  );
  if (!modelPick) return undefined;
  let model = modelPick.value;
  if (!model) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder.uri, title: 'Model folder' });
    if (!picked?.[0]) return undefined;
    model = rel(picked[0].fsPath);
  }

  const dataFiles = await vscode.workspace.findFiles('**/*.{jsonl,parquet}', '**/{node_modules,.venv,.rlstudio}/**', 100);
  const dataPick = await vscode.window.showQuickPick(
    [
      ...(dpo ? [] : REASONING_GYM_TASKS.map((task) => ({ label: task, description: 'reasoning-gym task', detail: 'Generated offline with verifiable answers', data: { kind: 'reasoning_gym' as const, task } }))),
      ...dataFiles.map((uri) => ({ label: rel(uri.fsPath), description: 'workspace file', detail: undefined, data: { kind: 'file' as const, path: rel(uri.fsPath), promptColumn: 'prompt' } })),
    ],
    { title: `${title} (2/${steps}): ${dpo ? 'preference pairs {prompt, chosen, rejected}' : 'training prompts'}`, ignoreFocusOut: true },
  );
  if (!dataPick) return undefined;

  const workspaceRewards = await findWorkspaceRewards(rel);
  const rewardItems = [
    ...BUILTIN_REWARDS.map((b) => ({ label: b.ref, description: 'built-in', detail: b.detail, picked: b.ref === (dataPick.data.kind === 'reasoning_gym' ? 'reasoning_gym' : 'exact_answer') })),
    ...workspaceRewards.map((ref) => ({ label: ref, description: 'workspace', detail: undefined, picked: false })),
  ].filter((item) => item.label !== 'reasoning_gym' || dataPick.data.kind === 'reasoning_gym');
  const rewards = dpo ? [] : await vscode.window.showQuickPick(rewardItems, { title: `${title} (3/4): reward functions`, canPickMany: true, ignoreFocusOut: true });
  if (!rewards || (!dpo && !rewards.length)) return undefined;

  const preset = await vscode.window.showQuickPick(
    PRESETS.map((p) => ({ label: p.label, detail: p.detail, preset: p })),
    { title: `${title} (${steps}/${steps}): settings (${algorithmPick.label})`, ignoreFocusOut: true },
  );
  if (!preset) return undefined;

  const suggested = dataPick.data.kind === 'reasoning_gym' ? `${algorithm.name}-${dataPick.data.task.replace(/_/g, '-')}` : `${algorithm.name}-run`;
  const name = await vscode.window.showInputBox({
    title: `${title}: name`,
    value: suggested,
    prompt: 'Run name; the file is <name>.rlstudio.yaml in the workspace folder',
    validateInput: (v) => (/^[\w.-]+$/.test(v) ? undefined : 'Use letters, digits, ".", "_" and "-"'),
    ignoreFocusOut: true,
  });
  if (!name) return undefined;

  const choices: RunConfigChoices = { name, algorithm, model, data: dataPick.data, rewards: rewards.map((r) => r.label), preset: preset.preset };
  let target = vscode.Uri.joinPath(folder.uri, `${name}.rlstudio.yaml`);
  for (let i = 2; await exists(target); i++) target = vscode.Uri.joinPath(folder.uri, `${name}-${i}.rlstudio.yaml`);
  await vscode.workspace.fs.writeFile(target, Buffer.from(renderRunConfig(choices), 'utf8'));
  await vscode.window.showTextDocument(target);
  return target;
}

/** Workspace folders that look like saved models: config.json beside tokenizer files. */
async function findModelFolders(rel: (p: string) => string): Promise<string[]> {
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.venv,.rlstudio,.git}/**', 50);
  const folders: string[] = [];
  for (const uri of configs) {
    const dir = vscode.Uri.joinPath(uri, '..');
    if ((await exists(vscode.Uri.joinPath(dir, 'tokenizer.json'))) || (await exists(vscode.Uri.joinPath(dir, 'tokenizer_config.json')))) folders.push(rel(dir.fsPath));
  }
  return folders.sort();
}

async function findWorkspaceRewards(rel: (p: string) => string): Promise<string[]> {
  const files = await vscode.workspace.findFiles('**/*.py', '**/{node_modules,.venv,venv,.rlstudio,site-packages}/**', 200);
  const refs: string[] = [];
  for (const uri of files) {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      for (const fn of findRewardFunctions(text)) refs.push(`${rel(uri.fsPath)}:${fn}`);
    } catch {
      // unreadable file: skip
    }
  }
  return refs;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

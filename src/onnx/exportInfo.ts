// An export folder as the extension reads it: export.json (written last by `rlstudio export-onnx`)
// and the files it lists, with the sizes it lists. No `vscode` import.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, runPaths } from '../runs/runFormat';

const EXPORT_MANIFEST = RUN_FILES.exportManifest;
export const EXPORT_FORMAT = 'rlstudio.onnx-export/1';

export interface ExportCheck {
  tokens: number;
  maxAbsLogitDiff: number;
  maxAbsLogprobDiff: number;
  meanAbsLogprobDiff: number;
}

/** A causal LM's scoring graph (per-token numbers) or a sequence-classification (reward) model's scores. */
export type ExportTask = 'causal-lm-scoring' | 'sequence-classification';

export interface ExportInfo {
  dir: string;
  source: { spec: string; kind: string; model: string; checksum: string | null };
  task: ExportTask;
  numLabels: number | null;
  architecture: string;
  quantization: string | null;
  topK: number;
  vocabSize: number;
  maxLength: number | null;
  temperature: number;
  chatTemplate: string | null;
  specialTokens: { bos: string | null; eos: string | null; pad: string | null };
  files: Record<string, number>;
  check: ExportCheck;
}

/** A missing, half-written or unreadable export; the message names the file and says what to do. */
export class ExportError extends Error {}

const AGAIN = 'export again (RL Studio: Export to ONNX, or `rlstudio export-onnx`)';

export function readExport(dir: string): ExportInfo {
  const manifestPath = path.join(dir, EXPORT_MANIFEST);
  if (!fs.existsSync(dir)) throw new ExportError(`${dir}: no such export folder; ${AGAIN}`);
  let text: string;
  try {
    text = fs.readFileSync(manifestPath, 'utf8');
  } catch {
    throw new ExportError(`${manifestPath} is missing: the export is incomplete (interrupted?); ${AGAIN}`);
  }
  let info: ExportInfo;
  try {
    info = { ...(JSON.parse(text) as Omit<ExportInfo, 'dir'>), dir };
  } catch (error) {
    throw new ExportError(`${manifestPath}: not valid JSON (${(error as Error).message}); ${AGAIN}`);
  }
  const format = (info as unknown as { format?: unknown }).format;
  if (format !== EXPORT_FORMAT) throw new ExportError(`${manifestPath}: format ${JSON.stringify(format)}, expected ${EXPORT_FORMAT}; ${AGAIN}`);
  if (info.task !== 'causal-lm-scoring' && info.task !== 'sequence-classification') {
    throw new ExportError(`${manifestPath}: unknown task ${JSON.stringify(info.task)}; ${AGAIN}`);
  }
  for (const [name, size] of Object.entries(info.files ?? {})) {
    const file = path.join(dir, name);
    let actual: number;
    try {
      actual = fs.statSync(file).size;
    } catch {
      throw new ExportError(`${file} is missing (listed in ${EXPORT_MANIFEST}); ${AGAIN}`);
    }
    if (actual !== size) throw new ExportError(`${file}: ${actual} bytes, ${EXPORT_MANIFEST} says ${size} (truncated or replaced?); ${AGAIN}`);
  }
  for (const needed of ['model.onnx', 'tokenizer.json']) {
    if (!(needed in (info.files ?? {}))) throw new ExportError(`${manifestPath}: lists no ${needed}; ${AGAIN}`);
  }
  return info;
}

export interface RunExport {
  /** Folder name under `<run>/onnx/`: `checkpoint-40`, `checkpoint-40-int8`, `base`. */
  name: string;
  dir: string;
  /** `fp32` or `int8`. */
  label: string;
}

/** The exports of one checkpoint (`<run>/onnx/<checkpoint name>` and `…-int8`). */
export function checkpointExports(runDir: string, checkpointDir: string): RunExport[] {
  const base = path.basename(checkpointDir);
  return listRunExports(runDir).filter((e) => e.name === base || e.name === `${base}-int8`);
}

/** `<run>/onnx/<name>` folders of a run that have an export.json, by name; half-written ones are skipped. */
export function listRunExports(runDir: string): RunExport[] {
  const root = runPaths(runDir).onnx;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && fs.existsSync(path.join(root, e.name, EXPORT_MANIFEST)))
    .map((e) => ({ name: e.name, dir: path.join(root, e.name), label: e.name.endsWith('-int8') ? 'int8' : 'fp32' }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** Refuses an export of the other kind, saying why (a reward model has no causal-LM head to score tokens with). */
export function requireTask(info: ExportInfo, task: ExportTask): void {
  if (info.task === task) return;
  const file = path.join(info.dir, EXPORT_MANIFEST);
  if (task === 'causal-lm-scoring') {
    throw new ExportError(`${file}: a ${info.architecture} (sequence-classification) export has no causal-LM head, so it cannot score tokens; pick an export of a causal language model (a run's checkpoint)`);
  }
  throw new ExportError(`${file}: a ${info.architecture} export is a causal language model, not a reward model (sequence-classification)`);
}

/** Exports ordered for a picker: the recently used ones first (most recent first), then the rest as they were. */
export function byRecentUse<T extends { dir: string }>(exports: T[], recent: string[]): T[] {
  const rank = (e: T) => {
    const i = recent.indexOf(e.dir);
    return i < 0 ? recent.length : i;
  };
  return exports.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(({ e }) => e);
}

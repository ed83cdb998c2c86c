// KP editor: host ⇄ webview messages. The app owns the editing (and its undo history) and sends
// the whole entry list after each change; the host owns the file (load, save, concurrent edits).
// The app saves the file's path with setState: after a window reload the host re-opens that file.

import type { KpEntry } from '../../knowledge/kpFile';
import type { SubsetProblemResult } from '../../worker/protocol';

export interface ProblemInfo {
  text: string;
  answer: string | null;
}

export interface KpEditorState {
  file: string;
  /** The entries as the host has them (after load, save or merge). */
  entries: KpEntry[];
  /** Increases whenever `entries` is replaced by the host (load, reload, merge): the app resets its history. */
  revision: number;
  /** Problem text and answer per problem id, from the linked dataset (if any). */
  problems: Record<string, ProblemInfo>;
  dataset: string | null;
  /** Subset-search results per problem (from <name>.kp.subsets.json). */
  subsets: Record<string, SubsetProblemResult>;
  dirty: boolean;
  /** Problems of the file on disk (schema errors with lines); the editor shows what parsed. */
  fileProblems: string[];
  /** Why the file could not be read (e.g. it no longer exists); the editor then shows no entries. */
  error: string | null;
  notice: string | null;
}

/** Part of what the app saves with setState: the file the host re-opens after a window reload. */
export interface KpEditorSavedState {
  file: string;
}

export interface KpEditorProtocol {
  commands: {
    /** `revision`: the one the app's entries were edited from (a reload may have replaced it since). */
    'kp/edit': { entries: KpEntry[]; revision: number };
    'kp/save': { entries: KpEntry[]; revision: number };
    'kp/linkDataset': Record<string, never>;
    'kp/reload': Record<string, never>;
  };
  requests: Record<string, never>;
  notifications: {
    'kp/state': KpEditorState;
  };
}

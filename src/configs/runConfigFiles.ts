// Which files are run configs: those matching the setting `rlstudio.runConfigGlob`.

import type * as vscode from 'vscode';
import { readConfig } from '../config';
import { matchesGlob } from './glob';

export function configGlob(): string {
  return readConfig().runConfigGlob;
}

export function isRunConfig(uri: vscode.Uri): boolean {
  return matchesGlob(uri.fsPath, configGlob());
}

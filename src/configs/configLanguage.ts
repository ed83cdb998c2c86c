import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../commandIds';
import { isRunConfig } from './runConfigFiles';
import type { JsonSchema } from './schemaSupport';
import { ConfigSchema } from './schemaSupport';

/**
 * Editor support for run configs (*.rlstudio.yaml, or the glob in `rlstudio.runConfigGlob`):
 * schema diagnostics, hover, completion, and a "Start Run" CodeLens.
 */
export class ConfigLanguage implements vscode.Disposable {
  private readonly schema: ConfigSchema;
  private readonly collection = vscode.languages.createDiagnosticCollection('rlstudio-schema');
  private readonly subscriptions: vscode.Disposable[] = [this.collection];
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(extensionPath: string) {
    const file = path.join(extensionPath, 'schemas', 'run-config.schema.json');
    this.schema = new ConfigSchema(JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema);
    const selector: vscode.DocumentSelector = [{ language: 'yaml', scheme: 'file' }, { language: 'yaml', scheme: 'untitled' }];
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((doc) => this.check(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.collection.delete(doc.uri)),
      vscode.languages.registerHoverProvider(selector, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.languages.registerCompletionItemProvider(selector, { provideCompletionItems: (doc, pos) => this.complete(doc, pos) }),
      vscode.languages.registerCodeLensProvider(selector, { provideCodeLenses: (doc) => this.lenses(doc) }),
    );
    for (const doc of vscode.workspace.textDocuments) this.check(doc);
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(key, setTimeout(() => this.check(doc), 200));
  }

  private check(doc: vscode.TextDocument): void {
    if (!isRunConfig(doc.uri)) return;
    this.collection.set(
      doc.uri,
      this.schema.diagnostics(doc.getText()).map((d) => {
        const diag = new vscode.Diagnostic(new vscode.Range(d.line, d.column, d.endLine, d.endColumn), d.message, vscode.DiagnosticSeverity.Error);
        diag.source = 'rlstudio schema';
        return diag;
      }),
    );
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!isRunConfig(doc.uri)) return undefined;
    const h = this.schema.hover(doc.getText(), pos.line, pos.character);
    if (!h) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(h.span.line, h.span.column, h.span.endLine, h.span.endColumn));
  }

  private complete(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
    if (!isRunConfig(doc.uri)) return [];
    return this.schema.completions(doc.getText(), pos.line, pos.character).map((c) => {
      const item = new vscode.CompletionItem(c.label, c.kind === 'property' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.EnumMember);
      item.insertText = c.insertText;
      item.detail = c.detail;
      if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
      return item;
    });
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isRunConfig(doc.uri)) return [];
    return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: '$(play) Start Run', command: COMMAND_IDS.startRun, arguments: [doc.uri] })];
  }
}

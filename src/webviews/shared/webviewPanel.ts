// A webview panel wired to its app: CSP page, protocol endpoint, visibility-aware queue, disposal.
// Each webview (dashboard, inspector, …) owns one of these and registers its handlers on `ipc`.

import * as vscode from 'vscode';
import { HostIpc, type HostIpcOptions } from './hostIpc';
import { renderPage } from './html';
import type { Protocol, WireMessage } from './protocol';

export interface WebviewPanelOptions {
  viewType: string;
  title: string;
  /** Bundle name: dist/webview/<app>.js (+ .css). */
  app: string;
  extensionUri: vscode.Uri;
  initialState: unknown;
  ipc?: HostIpcOptions;
  /** An existing panel to adopt (from a WebviewPanelSerializer after a reload). */
  panel?: vscode.WebviewPanel;
  column?: vscode.ViewColumn;
}

export class WebviewPanelHost<P extends Protocol> implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly ipc: HostIpc<P>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeListeners: Array<() => void> = [];
  private disposed = false;

  constructor(options: WebviewPanelOptions) {
    const distUri = vscode.Uri.joinPath(options.extensionUri, 'dist', 'webview');
    const webviewOptions: vscode.WebviewOptions & vscode.WebviewPanelOptions = {
      enableScripts: true,
      localResourceRoots: [distUri],
      retainContextWhenHidden: false,
    };
    this.panel =
      options.panel ??
      vscode.window.createWebviewPanel(options.viewType, options.title, options.column ?? vscode.ViewColumn.Active, webviewOptions);
    this.panel.title = options.title;
    this.panel.webview.options = webviewOptions;

    const panel = this.panel;
    this.ipc = new HostIpc<P>(
      {
        postMessage: (message: WireMessage) => panel.webview.postMessage(message),
        get visible() {
          return panel.visible;
        },
      },
      options.ipc,
    );
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => void this.ipc.receive(message)),
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden a hidden panel's page is discarded; the page that comes
        // back says `ready` again, and messages wait for it.
        if (!panel.visible) this.ipc.reset();
        this.ipc.visibilityChanged();
      }),
      panel.onDidDispose(() => this.dispose()),
    );

    const webview = panel.webview;
    webview.html = renderPage({
      title: options.title,
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, `${options.app}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, `${options.app}.css`)).toString(),
      initialState: options.initialState,
    });
  }

  onDidDispose(listener: () => void): void {
    this.disposeListeners.push(listener);
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
    this.panel.dispose();
    for (const listener of this.disposeListeners) {
      listener();
    }
  }
}

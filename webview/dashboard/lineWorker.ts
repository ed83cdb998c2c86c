// The dashboard's Web Worker (its own esbuild entry; started from a blob: URL, lineWorkerStart.ts):
// keeps a copy of the overlaid runs' columns and answers each chart's draw request with its lines
// decimated and smoothed (lines.ts), posted back as transferred buffers.

import { LineStore, buffersOf, type LineMessage } from './lines';

interface WorkerScope {
  onmessage: ((event: MessageEvent<LineMessage>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const store = new LineStore();

scope.onmessage = (event) => {
  const result = store.handle(event.data);
  if (result) scope.postMessage(result, buffersOf(result.drawing));
};

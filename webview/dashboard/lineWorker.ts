// The dashboard's Web Worker (its own esbuild entry; started from a blob: URL, lineWorkerStart.ts):
// keeps a copy of the overlaid runs' columns and answers each chart's draw request with its lines
// decimated and smoothed (lines.ts), posted back as transferred buffers. Requests are computed as they
// come (while the page goes on laying charts out), and the answers go back together at the page's
// 'flush' (sent when the task that asked ends): the page draws them in one task, for one frame.

import { LineStore, buffersOf, type LineMessage, type LineResult } from './lines';

interface WorkerScope {
  onmessage: ((event: MessageEvent<LineMessage>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const store = new LineStore();

let answers: LineResult[] = [];

scope.onmessage = (event) => {
  if (event.data.kind === 'flush') {
    if (answers.length > 0) scope.postMessage(answers, answers.flatMap((answer) => buffersOf(answer.drawing)));
    answers = [];
    return;
  }
  const answer = store.handle(event.data);
  if (answer) answers.push(answer);
};

// Entry of the scoring process (dist/scoring.js), forked by ScoringClient: onnxruntime-node runs
// here, never in the extension host, so a native crash ends only this process. JSON-RPC over the
// Node IPC channel (vscode-jsonrpc). Keeps the last two exports loaded (compare needs two).

import { createMessageConnection, IPCMessageReader, IPCMessageWriter, ResponseError } from 'vscode-jsonrpc/node';
import * as ort from 'onnxruntime-node';
import { ExportError } from './exportInfo';
import { SCORING_PROTOCOL, type ScoringMethods } from './protocol';
import { encode, loadExport, ranges, reward, score, type LoadedExport } from './scorer';

const KEEP = 2;
const threads = Number(process.env.RLSTUDIO_SCORING_THREADS ?? 0) || 0;
const loaded = new Map<string, Promise<LoadedExport>>();

function get(dir: string): Promise<LoadedExport> {
  let entry = loaded.get(dir);
  if (!entry) {
    entry = loadExport(dir, threads);
    entry.catch(() => loaded.delete(dir));
    loaded.set(dir, entry);
    while (loaded.size > KEEP) {
      const [oldest, session] = loaded.entries().next().value as [string, Promise<LoadedExport>];
      loaded.delete(oldest);
      void session.then((s) => s.session.release()).catch(() => undefined);
    }
  } else {
    loaded.delete(dir); // most recently used last
    loaded.set(dir, entry);
  }
  return entry;
}

/** Errors the user can act on carry code 1 and their message; the client shows them as they are. */
async function handle<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExportError) throw new ResponseError(1, error.message);
    throw new ResponseError(2, (error as Error).stack ?? String(error));
  }
}

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
connection.onRequest('initialize', (): ScoringMethods['initialize']['result'] => ({
  protocol: SCORING_PROTOCOL,
  pid: process.pid,
  onnxruntime: ort.env.versions.common,
}));
connection.onRequest('score', (params: ScoringMethods['score']['params']) => handle(async () => score(await get(params.exportDir), params)));
connection.onRequest('tokenize', (params: ScoringMethods['tokenize']['params']) =>
  handle(async () => {
    const model = await get(params.exportDir);
    const ids = encode(model, params.text);
    return { ids, ...ranges(model, ids, params.text) };
  }),
);
connection.onRequest('reward', (params: ScoringMethods['reward']['params']) => handle(async () => ({ scores: await reward(await get(params.exportDir), params.texts) })));
connection.onRequest('shutdown', () => {
  setImmediate(() => process.exit(0));
  return null;
});
process.on('disconnect', () => process.exit(0)); // the host went away
connection.listen();

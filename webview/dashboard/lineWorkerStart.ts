// Starts the dashboard's line worker from its bundled source (esbuild.mjs inlines the worker entry's
// build as `rlstudio:dashboard-worker`): a blob: URL, which the webview CSP allows as `worker-src blob:`
// (a worker script from the webview's resource origin is cross-origin in VS Code, and refused).

import source from 'rlstudio:dashboard-worker';
import { useWorker } from './linePipeline';

useWorker(source);

// Builds the extension host bundle and one browser bundle per webview app.
//
//   node esbuild.mjs                # development build (source maps)
//   node esbuild.mjs --production   # minified, no source maps
//   node esbuild.mjs --watch        # rebuild on change
//
// dist/scoring.js is the scoring process's entry (onnxruntime-node external).
// Webview apps are discovered: every webview/<name>/main.ts (except webview/shared/) becomes
// dist/webview/<name>.js, plus dist/webview/<name>.css when the app imports CSS.
// Type checking is separate: `npm run typecheck` (tsc --noEmit, strict).

import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

/** `{ name: path }` for every webview/<name>/main.ts found under `dir`. */
export function webviewEntries(dir) {
  if (!existsSync(dir)) return {};
  const entries = {};
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const main = join(dir, item.name, "main.ts");
    if (item.isDirectory() && item.name !== "shared" && existsSync(main)) entries[item.name] = main;
  }
  return entries;
}

// A production build starts from an empty dist/ so that no stale file (e.g. a source map) is packaged.
if (production) rmSync("dist", { recursive: true, force: true });

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : "linked",
  logLevel: "info",
  legalComments: "none",
};

const builds = [
  {
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  {
    // The scoring process (forked by src/onnx/scoringClient.ts). onnxruntime-node loads native
    // binaries by path, so it stays external and ships in the VSIX's node_modules (scripts/setup.mjs).
    ...common,
    entryPoints: ["src/onnx/scoringProcess.ts"],
    outfile: "dist/scoring.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["onnxruntime-node"],
  },
];

/**
 * The dashboard's chart worker, built as its own entry and inlined into the dashboard bundle as the
 * module `rlstudio:dashboard-worker` (its source text): the page starts it from a blob: URL, since a
 * worker script from the webview's resource origin is cross-origin in VS Code.
 */
const dashboardWorker = {
  name: "dashboard-worker",
  setup(build) {
    build.onResolve({ filter: /^rlstudio:dashboard-worker$/ }, () => ({ path: "dashboard-worker", namespace: "rlstudio-worker" }));
    build.onLoad({ filter: /.*/, namespace: "rlstudio-worker" }, async () => {
      const result = await esbuild.build({
        entryPoints: ["webview/dashboard/lineWorker.ts"],
        bundle: true,
        write: false,
        metafile: true,
        minify: production,
        legalComments: "none",
        platform: "browser",
        format: "iife",
        target: "es2022",
        tsconfig: "tsconfig.webview.json",
      });
      return {
        contents: `export default ${JSON.stringify(result.outputFiles[0].text)};`,
        loader: "js",
        watchFiles: Object.keys(result.metafile.inputs).map((input) => resolve(input)),
      };
    });
  },
};

const webviews = webviewEntries("webview");
if (Object.keys(webviews).length > 0) {
  builds.push({
    ...common,
    entryPoints: webviews,
    outdir: "dist/webview",
    platform: "browser",
    format: "iife",
    target: "es2022",
    tsconfig: "tsconfig.webview.json",
    loader: { ".ttf": "file", ".woff": "file", ".woff2": "file", ".svg": "file" },
    plugins: [dashboardWorker],
  });
}

/** Prints the lines the `$esbuild-watch` problem matcher (.vscode/tasks.json) looks for. */
const watchMarkers = {
  name: "watch-markers",
  setup(build) {
    build.onStart(() => console.log("[watch] build started"));
    build.onEnd(() => console.log("[watch] build finished"));
  },
};

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context({ ...options, plugins: [...(options.plugins ?? []), watchMarkers] })));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

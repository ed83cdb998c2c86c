// `npm run demo`: the set-up, then the demo training run in examples/, then how to open it.
//
//   npm run demo                         # set up, build build/rl-studio.vsix, train the demo run
//   npm run demo -- --open               # ... then serve VS Code (code-server) on localhost with it
//   npm run demo -- --open --skip-train  # serve the last result without training again
//   npm run demo -- --steps 5            # other arguments go to `rlstudio demo` (see its --help)
//
// Node built-ins only (runs before `npm ci`).

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { CACHE_DIR, ROOT, SetupError, VENV_BIN, VSIX_PATH, freePort, log, runMain, runStatus } from "./lib.mjs";
import { ensureNpmPackages, ensurePythonEnv, packageVsix } from "./setup.mjs";
import { ensureCodeServer, installExtension, startCodeServer, stopCodeServer } from "./codeServer.mjs";

const EXAMPLES = join(ROOT, "examples");

async function main() {
  const args = process.argv.slice(2);
  const open = args.includes("--open");
  const skipTrain = args.includes("--skip-train");
  const demoArgs = args.filter((arg) => arg !== "--open" && arg !== "--skip-train");

  // --- set-up ---
  ensureNpmPackages();
  ensurePythonEnv();
  packageVsix();

  // --- the demo run ---
  if (!skipTrain) {
    log(`training the demo run: .venv/bin/rlstudio ${["demo", ...demoArgs].join(" ")} (in examples/)`);
    const code = await runStatus(join(VENV_BIN, "rlstudio"), ["demo", ...demoArgs], {
      cwd: EXAMPLES,
      env: { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" },
    });
    if (code !== 0) throw new SetupError(`the demo training (.venv/bin/rlstudio demo, in examples/) failed with exit code ${code}; its output is above`);
  }

  const vsix = relative(process.cwd(), VSIX_PATH);
  console.log(`
The demo run is in examples/.rlstudio/runs/. To look at it:
  - VS Code desktop:  code --install-extension ${vsix} && code examples
  - in the browser:   npm run demo -- --open${skipTrain ? "" : " --skip-train"}
`);
  if (!open) return 0;

  // --- VS Code in the browser ---
  ensureCodeServer();
  const userDataDir = join(CACHE_DIR, "demo", "user-data");
  const extensionsDir = join(CACHE_DIR, "demo", "extensions");
  const settings = join(userDataDir, "User", "settings.json");
  if (!existsSync(settings)) {
    mkdirSync(dirname(settings), { recursive: true });
    writeFileSync(settings, JSON.stringify({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none" }, null, 2));
  }
  installExtension(VSIX_PATH, userDataDir, extensionsDir);
  const port = await freePort();
  const logFile = join(CACHE_DIR, "demo", "code-server.log");
  const server = await startCodeServer({ port, userDataDir, extensionsDir, folder: EXAMPLES, logFile });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(EXAMPLES)}`;
  console.log(`VS Code (code-server) with RL Studio is serving examples/ at\n\n  ${url}\n\nlog: ${logFile}\nPress Ctrl-C to stop.`);

  return new Promise((resolvePromise) => {
    const stop = () => {
      stopCodeServer(server);
      resolvePromise(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    server.on("exit", (code) => {
      console.error(`code-server exited (code ${code}); log: ${logFile}`);
      resolvePromise(code ?? 1);
    });
  });
}

runMain(main);

// Installs code-server (a complete VS Code: server + web workbench) into a cache folder outside the repo,
// and starts it. code-server's own postinstall cannot run offline, so it is installed with
// --ignore-scripts and finished by hand.
//
//   node scripts/codeServer.mjs install     # idempotent; ~4 minutes the first time, instant afterwards
//
// Node built-ins only.

import { spawn } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, SetupError, log, run, runMain } from "./lib.mjs";

export const CODE_SERVER_VERSION = "4.99.4";
export const CODE_SERVER_DIR = join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`);
const STAMP = join(CODE_SERVER_DIR, ".rlstudio-installed");
const ENTRY = join("node_modules", "code-server", "out", "node", "entry.js");
const NATIVE_MODULES = ["kerberos", "node-pty", "@parcel/watcher", "@vscode/spdlog", "native-watchdog", "@vscode/deviceid"];

export function codeServerEntry() {
  return join(CODE_SERVER_DIR, ENTRY);
}

/** Installs code-server once; later calls return at once. */
export function ensureCodeServer() {
  if (existsSync(STAMP)) return;
  for (const tool of ["/usr/bin/rg"]) {
    if (!existsSync(tool)) throw new SetupError(`${tool} is missing: install the Debian packages first (.ci/run does: apt-get install ripgrep libkrb5-dev chromium)`);
  }
  log(`installing code-server ${CODE_SERVER_VERSION} into ${CODE_SERVER_DIR} (a few minutes, once)`);
  // Build in a temporary folder and rename at the end, so an interrupted install is never mistaken for a finished one.
  const staging = `${CODE_SERVER_DIR}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, "package.json"), JSON.stringify({ name: "rl-studio-code-server", private: true }, null, 2));
  const env = { ...process.env, npm_config_unsafe_perm: "true", npm_config_yes: "true", npm_config_fund: "false", npm_config_audit: "false" };
  const npm = (cwd, ...args) => run("npm", args, { cwd, env });

  npm(staging, "install", `code-server@${CODE_SERVER_VERSION}`, "--ignore-scripts", "--no-save", "--loglevel=error");
  npm(staging, "rebuild", "argon2"); // loaded at start even with --auth none

  const vscodeDir = join(staging, "node_modules", "code-server", "lib", "vscode");
  npm(vscodeDir, "install", "--omit=dev", "--ignore-scripts", "--loglevel=error");
  npm(vscodeDir, "rebuild", ...NATIVE_MODULES);
  link("/usr/bin/rg", join(vscodeDir, "node_modules", "@vscode", "ripgrep", "bin", "rg"));
  link("node_modules", join(vscodeDir, "node_modules.asar"));
  link("code-linux.sh", join(vscodeDir, "bin", "remote-cli", "code-server"));
  link("browser-linux.sh", join(vscodeDir, "bin", "helpers", "browser.sh"));
  npm(join(vscodeDir, "extensions"), "install", "--omit=dev", "--ignore-scripts", "--loglevel=error");

  writeFileSync(join(staging, ".rlstudio-installed"), `${CODE_SERVER_VERSION}\n`);
  rmSync(CODE_SERVER_DIR, { recursive: true, force: true });
  renameSync(staging, CODE_SERVER_DIR);
  log("code-server installed");
}

function link(target, path) {
  mkdirSync(join(path, ".."), { recursive: true });
  if (isPresent(path)) rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
}

function isPresent(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Installs a VSIX into the given user-data and extensions folders. */
export function installExtension(vsixPath, userDataDir, extensionsDir) {
  run(process.execPath, [codeServerEntry(), "--config", join(userDataDir, "code-server.yaml"), "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", vsixPath, "--force"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/**
 * Starts code-server on 127.0.0.1:<port> and resolves once it answers HTTP. Its output goes to `logFile`.
 * It runs in a process group of its own: `stopCodeServer` ends it together with its extension hosts.
 * trust=false turns workspace trust on, so the folder opens in restricted mode.
 */
export async function startCodeServer({ port, userDataDir, extensionsDir, folder, trust = true, logFile, timeoutMs = 30_000 }) {
  const args = [
    codeServerEntry(),
    "--config", join(userDataDir, "code-server.yaml"),
    "--auth", "none",
    "--bind-addr", `127.0.0.1:${port}`,
    "--user-data-dir", userDataDir,
    "--extensions-dir", extensionsDir,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-getting-started-override",
    ...(trust ? ["--disable-workspace-trust"] : []),
    folder,
  ];
  mkdirSync(userDataDir, { recursive: true });
  const output = logFile ? openSync(logFile, "a") : "ignore";
  const child = spawn(process.execPath, args, { stdio: ["ignore", output, output], detached: true });
  if (typeof output === "number") closeSync(output);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new SetupError(`code-server exited with code ${child.exitCode} before listening${logFile ? ` (log: ${logFile})` : ""}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stopCodeServer(child);
  throw new SetupError(`code-server did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000}s`);
}

/** Ends code-server and the processes it started (its process group). */
export function stopCodeServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runMain(async () => {
    if (process.argv[2] !== "install") throw new SetupError("usage: node scripts/codeServer.mjs install");
    ensureCodeServer();
  });
}

// Shared helpers for the set-up and orchestration scripts.
// Node built-ins only: these run before `npm ci` has installed anything.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const VENV = join(ROOT, ".venv");
export const VENV_BIN = join(VENV, "bin");
export const CACHE_DIR = process.env.RLSTUDIO_CACHE_DIR ?? join(homedir(), ".cache", "rl-studio");
/** The packaged extension; RLSTUDIO_VSIX points the e2e suite at another build (e.g. a deliberately broken one). */
export const VSIX_PATH = process.env.RLSTUDIO_VSIX ?? join(ROOT, "build", "rl-studio.vsix");

export function log(message) {
  console.log(`[rl-studio] ${message}`);
}

/** An error whose message is shown to the user as is, without a stack trace. */
export class SetupError extends Error {}

/** Runs a command with inherited stdio; throws SetupError when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: ROOT, ...options });
  if (result.error) throw new SetupError(`could not start ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new SetupError(`\`${[command, ...args].join(" ")}\` failed with exit code ${result.status}`);
  }
}

/** Runs a command with inherited stdio and resolves to its exit code (never throws on failure). */
export function runStatus(command, args, options = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { stdio: "inherit", cwd: ROOT, ...options });
    child.on("error", (error) => {
      console.error(`could not start ${command}: ${error.message}`);
      resolvePromise(127);
    });
    child.on("exit", (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

/** sha256 over the given files' contents (a missing file counts as empty, by name). */
export function hashFiles(paths) {
  const hash = createHash("sha256");
  for (const path of paths) {
    hash.update(path);
    hash.update(existsSync(path) ? readFileSync(path) : "<missing>");
  }
  return hash.digest("hex");
}

/** A stamp file holds the hash of the inputs of the step that wrote it. */
export function stampMatches(stampPath, hash) {
  return existsSync(stampPath) && readFileSync(stampPath, "utf8").trim() === hash;
}

export function writeStamp(stampPath, hash) {
  mkdirSync(dirname(stampPath), { recursive: true });
  writeFileSync(stampPath, `${hash}\n`);
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/** Runs `main`; prints SetupError messages plainly and exits non-zero on any error. */
export function runMain(main) {
  main().then(
    (code) => process.exit(typeof code === "number" ? code : 0),
    (error) => {
      if (error instanceof SetupError) console.error(`\n[rl-studio] error: ${error.message}`);
      else console.error(error);
      process.exit(1);
    },
  );
}

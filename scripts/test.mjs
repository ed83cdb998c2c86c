// `npm test`: the set-up, then every suite, then a table of results. Node built-ins only.
//
//   npm test                          # every suite
//   npm test -- --suite unit          # one suite (or several: --suite lint,unit)
//   npm test -- --list                # the suites and what they run
//
// Fails when any suite fails or a test suite runs zero tests.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, SetupError, VENV_BIN, log, runMain } from "./lib.mjs";
import { ensureNpmPackages, ensurePythonEnv, packageVsix } from "./setup.mjs";
import { ensureCodeServer } from "./codeServer.mjs";

const BIN = join(ROOT, "node_modules", ".bin");

// --- the suites, in the order they run -------------------------------------------------------
// needs: the set-up steps a suite depends on. counts: whether it runs tests (zero tests = failure).
const SUITES = [
  { name: "lint", needs: ["python"], counts: false, describe: "eslint + ruff", run: lint },
  { name: "typecheck", needs: [], counts: false, describe: "tsc --noEmit (extension, webviews, browser tests)", run: typecheck },
  { name: "unit", needs: ["python"], counts: true, describe: "test/unit/**/*.test.ts (node --test; shards written by the trainer in .venv)", run: () => nodeTests("test/unit") },
  { name: "python", needs: ["python"], counts: true, describe: "pytest trainer/tests", run: pytest },
  { name: "webview", needs: ["build", "python"], counts: true, describe: "test/webview/**/*.test.ts in headless Chromium", run: () => nodeTests("test/webview", { concurrency: 1, timeoutMs: 120_000 }) },
  { name: "e2e", needs: ["vsix", "codeServer"], counts: true, describe: "test/e2e/**/*.test.ts in code-server + Chromium", run: () => nodeTests("test/e2e", { concurrency: 1, timeoutMs: 300_000 }) },
];

async function main() {
  const args = process.argv.slice(2);
  if (args.includes("--list")) {
    for (const suite of SUITES) console.log(`${suite.name.padEnd(10)} ${suite.describe}`);
    return 0;
  }
  const suites = selectSuites(args);

  // --- set-up ---
  ensureNpmPackages();
  const needs = new Set(suites.flatMap((suite) => suite.needs));
  if (needs.has("python")) ensurePythonEnv();
  if (needs.has("vsix") || needs.has("build")) packageVsix(); // builds dist/ (production) on the way
  if (needs.has("codeServer")) ensureCodeServer();
  mkdirSync(join(ROOT, "test-results"), { recursive: true });

  // --- suites ---
  const results = [];
  for (const suite of suites) {
    console.log(`\n${"=".repeat(20)} ${suite.name}: ${suite.describe} ${"=".repeat(20)}`);
    const started = Date.now();
    const outcome = await suite.run();
    const seconds = (Date.now() - started) / 1000;
    let ok = outcome.code === 0;
    let note = outcome.note ?? "";
    if (suite.counts && ok && !(outcome.tests > 0)) {
      ok = false;
      note = "ran zero tests";
    }
    results.push({ name: suite.name, ok, tests: outcome.tests, failed: outcome.failed, seconds, note });
  }

  // --- summary ---
  printTable(results);
  return results.every((result) => result.ok) ? 0 : 1;
}

function selectSuites(args) {
  const index = args.indexOf("--suite");
  const inline = args.find((arg) => arg.startsWith("--suite="));
  const value = inline ? inline.slice("--suite=".length) : index >= 0 ? args[index + 1] : undefined;
  if (index >= 0 && !value) throw new SetupError("--suite needs a name: " + SUITES.map((s) => s.name).join(", "));
  if (!value) return SUITES;
  const names = value.split(",");
  const unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    throw new SetupError(`unknown suite ${unknown.join(", ")}; the suites are ${SUITES.map((s) => s.name).join(", ")}`);
  }
  return SUITES.filter((suite) => names.includes(suite.name));
}

// --- runners ------------------------------------------------------------------------------------

async function lint() {
  const eslint = await exec(join(BIN, "eslint"), ["--max-warnings=0", "."]);
  const pythonPaths = ["trainer", "bench"].filter((path) => existsSync(join(ROOT, path)));
  const ruff = await exec(join(VENV_BIN, "ruff"), ["check", ...pythonPaths]);
  return { code: eslint.code || ruff.code, note: failedParts({ eslint, ruff }) };
}

async function typecheck() {
  const host = await exec(join(BIN, "tsc"), ["--noEmit", "-p", "tsconfig.json"]);
  const webview = await exec(join(BIN, "tsc"), ["--noEmit", "-p", "tsconfig.webview.json"]);
  const tests = await exec(join(BIN, "tsc"), ["--noEmit", "-p", "tsconfig.test.json"]);
  const parts = { "tsconfig.json": host, "tsconfig.webview.json": webview, "tsconfig.test.json": tests };
  if (Object.values(parts).every((part) => part.code === 0)) console.log("tsc: no type errors");
  return { code: host.code || webview.code || tests.code, note: failedParts(parts) };
}

/** Runs every *.test.ts under `dir` with node's test runner (TAP output: `# tests N`, `# pass N`, `# fail N`). */
async function nodeTests(dir, { concurrency, timeoutMs } = {}) {
  const files = findTestFiles(join(ROOT, dir)).map((file) => relative(ROOT, file));
  if (files.length === 0) return { code: 1, tests: 0, note: `no *.test.ts files under ${dir}/` };
  const args = ["--import", "tsx", "--test", "--test-reporter=tap"];
  if (concurrency) args.push(`--test-concurrency=${concurrency}`);
  if (timeoutMs) args.push(`--test-timeout=${timeoutMs}`);
  const { code, output } = await exec(process.execPath, [...args, ...files]);
  const tests = lastNumber(output, /^# tests (\d+)$/gm);
  const failed = lastNumber(output, /^# fail (\d+)$/gm);
  return { code, tests, failed };
}

async function pytest() {
  const { code, output } = await exec(join(VENV_BIN, "pytest"), ["trainer/tests"]);
  const summary = output.trim().split("\n").at(-1) ?? "";
  const count = (word) => Number(summary.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const failed = count("failed") + count("errors?");
  return { code, tests: count("passed") + failed + count("skipped") + count("xfailed"), failed };
}

// --- helpers ------------------------------------------------------------------------------------

function findTestFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

/** Runs a command, streaming its output, and resolves to its exit code and captured output. */
function exec(command, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
    let output = "";
    const collect = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on("data", collect(process.stdout));
    child.stderr.on("data", collect(process.stderr));
    child.on("error", (error) => {
      output += `could not start ${command}: ${error.message}\n`;
      console.error(`could not start ${command}: ${error.message}`);
    });
    child.on("close", (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), output }));
  });
}

function lastNumber(text, pattern) {
  const matches = [...text.matchAll(pattern)];
  return matches.length > 0 ? Number(matches.at(-1)[1]) : undefined;
}

function failedParts(parts) {
  return Object.entries(parts)
    .filter(([, result]) => result.code !== 0)
    .map(([name]) => `${name} failed`)
    .join(", ");
}

function printTable(results) {
  const rows = results.map((r) => [r.name, r.ok ? "PASS" : "FAIL", r.tests === undefined ? "-" : String(r.tests), r.failed === undefined ? "-" : String(r.failed), `${r.seconds.toFixed(1)}s`, r.note]);
  const header = ["suite", "result", "tests", "failed", "time", "note"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(line(row));
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  log(failed.length === 0 ? `all ${results.length} suites passed` : `FAILED: ${failed.join(", ")}`);
}

runMain(main);

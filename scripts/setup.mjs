// Set-up shared by `npm run demo` and `npm test`: npm packages, the Python virtual environment with
// the trainer, the build and the VSIX. Each step is skipped when a stamp file holds the hash of its
// inputs, so a second run is quick. Node built-ins only (runs before `npm ci`).

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, SetupError, VENV, VENV_BIN, VSIX_PATH, hashFiles, log, run, stampMatches, writeStamp } from "./lib.mjs";

const PACKAGE_LOCK = join(ROOT, "package-lock.json");
const NPM_STAMP = join(ROOT, "node_modules", ".rlstudio-stamp");
const PYPROJECT = join(ROOT, "trainer", "pyproject.toml");
const NODEPS_REQUIREMENTS = join(ROOT, "trainer", "requirements-nodeps.txt");
const CONSTRAINTS = join(ROOT, "scripts", "constraints.txt");
const VENV_STAMP = join(VENV, ".rlstudio-stamp");

/** `npm ci` when package-lock.json changed since the last install. */
export function ensureNpmPackages() {
  const hash = hashFiles([PACKAGE_LOCK]);
  if (stampMatches(NPM_STAMP, hash)) return;
  log("installing npm packages (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
  writeStamp(NPM_STAMP, hash);
}

/** `.venv` with the trainer installed editable from trainer/, when trainer/pyproject.toml changed. */
export function ensurePythonEnv() {
  if (!existsSync(PYPROJECT)) {
    throw new SetupError("trainer/pyproject.toml is missing: the Python trainer package (trainer/) has not been added yet");
  }
  const hash = hashFiles([PYPROJECT, NODEPS_REQUIREMENTS, CONSTRAINTS]);
  if (stampMatches(VENV_STAMP, hash)) return;
  if (!existsSync(join(VENV_BIN, "python"))) {
    const python = findPython();
    log(`creating the Python virtual environment .venv with ${python}`);
    run(python, ["-m", "venv", VENV]);
  }
  const pip = join(VENV_BIN, "pip");
  // The constraints file keeps torch at the CPU build already on the machine (an unpinned torch pulls GBs).
  log("installing the trainer into .venv (pip install -e ./trainer[dev,onnx])");
  run(pip, ["install", "--disable-pip-version-check", "--progress-bar", "off", "-c", CONSTRAINTS, "-e", "./trainer[dev,onnx]"]);
  if (existsSync(NODEPS_REQUIREMENTS)) {
    run(pip, ["install", "--disable-pip-version-check", "--progress-bar", "off", "-c", CONSTRAINTS, "--no-deps", "-r", NODEPS_REQUIREMENTS]);
  }
  writeStamp(VENV_STAMP, hash);
}

function findPython() {
  for (const candidate of ["python3.11", "python3.12", "python3"]) {
    const result = spawnSync(candidate, ["-c", "import sys; print(sys.version_info >= (3, 11))"], { encoding: "utf8" });
    if (result.status === 0 && result.stdout.trim() === "True") return candidate;
  }
  throw new SetupError("Python 3.11 or newer is needed (python3.11 or python3 on PATH)");
}

// What the VSIX ships. vsce walks every file under its folder before applying .vscodeignore (tens of
// thousands in .venv), so it packages a staging folder holding only these.
const SHIPPED = ["package.json", "README.md", "LICENSE", ".vscodeignore", "dist", "media", "schemas", "trainer"];
const NOT_SHIPPED = /(^|\/)(__pycache__|\.pytest_cache|\.ruff_cache|[^/]+\.egg-info)(\/|$)|^trainer\/tests(\/|$)|\.map$/;

// onnxruntime-node (external to the bundle) with the binary of one platform only: a platform-specific VSIX.
const ORT_PACKAGES = ["onnxruntime-node", "onnxruntime-common"];

/** The VS Code target of this machine (`linux-x64`, `darwin-arm64`, `win32-x64`, ...). */
export function vsixTarget() {
  return `${process.platform}-${process.arch}`;
}

function stageOnnxRuntime(staging, target) {
  const [platform, arch] = target.split("-");
  for (const name of ORT_PACKAGES) {
    const from = join(ROOT, "node_modules", name);
    if (!existsSync(from)) throw new SetupError(`node_modules/${name} is missing: run npm ci`);
    // dist/node_modules/: found by dist/scoring.js's require; vsce --no-dependencies skips a top-level node_modules.
    cpSync(from, join(staging, "dist", "node_modules", name), {
      recursive: true,
      filter: (source) => {
        const rel = relative(from, source).split(/[\\/]/);
        if (rel[0] === "bin") return rel.length < 3 || (rel[2] === platform && (rel.length < 4 || rel[3] === arch));
        return rel[0] !== "script" && !/\.(map|ts)$/.test(source); // no install scripts, source maps or typings
      },
    });
  }
  const binary = join(staging, "dist", "node_modules", "onnxruntime-node", "bin", "napi-v6", platform, arch, "onnxruntime_binding.node");
  if (!existsSync(binary)) throw new SetupError(`onnxruntime-node has no binary for ${target} (${relative(staging, binary)})`);
}

/** Builds the extension and webviews (production) and packages them as build/rl-studio.vsix for this platform. */
export function packageVsix() {
  const target = vsixTarget();
  log(`building and packaging ${relative(ROOT, VSIX_PATH)} (${target})`);
  run(process.execPath, [join(ROOT, "esbuild.mjs"), "--production"]);
  const staging = join(ROOT, "build", "vsix");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const item of SHIPPED) {
    if (!existsSync(join(ROOT, item))) continue;
    cpSync(join(ROOT, item), join(staging, item), { recursive: true, filter: (source) => !NOT_SHIPPED.test(relative(ROOT, source)) });
  }
  stageOnnxRuntime(staging, target);
  // The staged manifest needs no build scripts: the build above is what ships.
  const manifest = JSON.parse(readFileSync(join(staging, "package.json"), "utf8"));
  delete manifest.scripts;
  delete manifest.devDependencies;
  writeFileSync(join(staging, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  run(process.execPath, [
    join(ROOT, "node_modules", "@vscode", "vsce", "vsce"),
    "package",
    "--target",
    target,
    "--no-dependencies",
    "--skip-license",
    "--allow-missing-repository",
    "--no-rewrite-relative-links",
    "--out",
    VSIX_PATH,
  ], { cwd: staging });
}

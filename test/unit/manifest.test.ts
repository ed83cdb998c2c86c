// The extension manifest (package.json) and the code agree: commands, settings, views.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { COMMAND_IDS } from "../../src/commandIds";
import { COMMANDS } from "../../src/wiring/commands";

interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    configuration: { properties: Record<string, unknown> };
    viewsContainers: { activitybar: { id: string; title: string }[] };
    views: Record<string, { id: string; name: string }[]>;
  };
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as Manifest;

test("every command in src/commandIds.ts is declared in package.json and has a handler, and the other way round", () => {
  const declared = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(Object.values(COMMAND_IDS).sort(), declared);
  assert.deepEqual(Object.keys(COMMANDS).sort(), declared);
});

test("every declared command has the RL Studio category", () => {
  for (const command of manifest.contributes.commands) assert.equal(command.category, "RL Studio", command.command);
});

test("the RL Studio view container holds the Runs view", () => {
  const container = manifest.contributes.viewsContainers.activitybar.find((c) => c.id === "rlstudio");
  assert.equal(container?.title, "RL Studio");
  assert.ok(manifest.contributes.views.rlstudio.some((view) => view.id === "rlstudio.runs" && view.name === "Runs"));
});

test("settings are all under rlstudio.*", () => {
  for (const key of Object.keys(manifest.contributes.configuration.properties)) assert.match(key, /^rlstudio\./);
});

test("activation: on startup (runs reattach after a reload) and in workspaces with run configs", () => {
  for (const event of ["onStartupFinished", "workspaceContains:**/*.rlstudio.yaml"]) {
    assert.ok(manifest.activationEvents.includes(event), event);
  }
});

test("@types/vscode is not newer than engines.vscode (vsce refuses to package otherwise)", () => {
  const engine = manifest.engines.vscode.replace(/^\^/, "").split(".").map(Number);
  const types = manifest.devDependencies["@types/vscode"].split(".").map(Number);
  assert.ok(types[0] === engine[0] && types[1] <= engine[1], `${types.join(".")} vs ${engine.join(".")}`);
});

test("dependency versions are exact pins", () => {
  for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+$/, name);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesGlob } from '../../../src/configs/glob';

test('run config globs', () => {
  assert.ok(matchesGlob('/w/examples/demo.rlstudio.yaml', '**/*.rlstudio.yaml'));
  assert.ok(matchesGlob('demo.rlstudio.yaml', '**/*.rlstudio.yaml'));
  assert.ok(!matchesGlob('/w/demo.yaml', '**/*.rlstudio.yaml'));
  assert.ok(!matchesGlob('/w/demo.rlstudio.yaml.bak', '**/*.rlstudio.yaml'));
  assert.ok(matchesGlob('/w/runs/a.yml', '**/runs/*.{yaml,yml}'));
  assert.ok(!matchesGlob('/w/runs/x/a.yml', '**/runs/*.{yaml,yml}'));
});

// KP files on the TypeScript side: errors with line numbers, the same bytes as Python's dump_kp,
// and the three-way merge that keeps concurrent edits.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parseKp, serializeKp, type KpEntry } from '../../../src/knowledge/kpFile';
import { KpRevisions, contentHash, mergeKp } from '../../../src/knowledge/kpMerge';

const PYTHON = resolve(__dirname, '../../../.venv/bin/python');

const TEXT = [
  '{"problem": "q1", "points": [{"id": "a", "text": "Add units — «first»."}, {"id": "b", "text": "Carry\\n1 <b>"}], "selected": ["b"]}',
  '',
  '{"problem": 7, "points": []}',
  '',
].join('\n');

test('parse: entries, their lines, integer ids as strings', () => {
  const parsed = parseKp(TEXT);
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.lines, [1, 3]);
  assert.deepEqual(parsed.entries[1], { problem: '7', points: [], selected: [] });
});

test('parse: schema and cross-field errors name the line and field', () => {
  const bad = [
    '{"problem": "q1", "points": [{"id": "a", "text": "x"}]}',
    '{oops',
    '{"problem": "q2", "points": [{"id": "a"}], "colour": 1}',
    '{"problem": "q3", "points": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], "selected": ["z"]}',
    '{"problem": "q1", "points": []}',
  ].join('\n');
  const found = parseKp(bad).problems.map((p) => `${p.line}:${p.field}:${p.message}`);
  assert.equal(found.length, 6);
  assert.match(found[0]!, /^2::not JSON/);
  assert.ok(found.includes("3::must NOT have additional properties (colour)"));
  assert.ok(found.includes("3:points[0]:must have required property 'text'"));
  assert.ok(found.includes("4:points[1].id:duplicate id 'a'"));
  assert.ok(found.includes("4:selected:'z' is not the id of one of this problem's points"));
  assert.ok(found.includes("5:problem:'q1' is already on line 1"));
});

test('serialize writes the same bytes as the trainer (rlstudio.hints.dump_kp)', () => {
  const ours = serializeKp(parseKp(TEXT).entries);
  const script = 'import sys; from rlstudio.hints import dump_kp, parse_kp; sys.stdout.write(dump_kp(parse_kp(sys.stdin.read())))';
  const theirs = execFileSync(PYTHON, ['-c', script], { input: TEXT, encoding: 'utf8' });
  assert.equal(ours, theirs);
  assert.deepEqual(parseKp(ours).entries, parseKp(TEXT).entries);
});

const e = (problem: string, ...ids: string[]): KpEntry => ({ problem, points: ids.map((id) => ({ id, text: id })), selected: [] });

test('merge keeps both sides where they do not collide', () => {
  const base = [e('q1', 'a'), e('q2', 'a'), e('q3')];
  const mine = [e('q1', 'a', 'mine'), e('q2', 'a'), e('q3'), e('q4', 'new')];
  const theirs = [e('q1', 'a'), e('q2', 'a', 'disk'), e('q5', 'disk')]; // q3 deleted on disk
  const merged = mergeKp(base, mine, theirs);
  assert.deepEqual(merged.conflicts, []);
  assert.deepEqual(merged.entries.map((x) => `${x.problem}:${x.points.map((p) => p.id).join('+')}`), ['q1:a+mine', 'q2:a+disk', 'q5:disk', 'q4:new']);
  assert.deepEqual(merged.fromDisk.sort(), ['q2', 'q3', 'q5']);
});

test('merge reports a problem changed differently on both sides', () => {
  const merged = mergeKp([e('q1', 'a')], [e('q1', 'a', 'mine')], [e('q1', 'a', 'disk')]);
  assert.deepEqual(merged.conflicts, ['q1']);
  assert.notEqual(contentHash('a'), contentHash('b'));
});

test('an edit that crossed a reload from disk is merged onto the reloaded entries, not dropped', () => {
  // The editor had revision 1; the file changed on disk and the host reloaded it as revision 2
  // before the editor's edit (made on revision 1) arrived.
  const revisions = new KpRevisions();
  const loaded = [e('q1', 'a'), e('q2', 'a')];
  const reloaded = [e('q1', 'a'), e('q2', 'a', 'disk')];
  revisions.record(1, loaded);
  revisions.record(2, reloaded);
  const late = revisions.rebase(1, [e('q1', 'a', 'mine'), e('q2', 'a')], reloaded);
  assert.deepEqual(late.conflicts, []);
  assert.deepEqual(late.entries.map((x) => `${x.problem}:${x.points.map((p) => p.id).join('+')}`), ['q1:a+mine', 'q2:a+disk']);
  // Both sides changed q2: a conflict, the editor's version kept for the user to decide.
  const clash = revisions.rebase(1, [e('q1', 'a'), e('q2', 'a', 'mine')], reloaded);
  assert.deepEqual(clash.conflicts, ['q2']);
  // A revision no longer kept: every difference from the current entries is a conflict, none is lost silently.
  for (let r = 3; r < 20; r++) revisions.record(r, reloaded);
  const old = revisions.rebase(1, [e('q1', 'a', 'mine'), e('q2', 'a', 'disk')], reloaded);
  assert.deepEqual(old.conflicts, ['q1']);
  assert.equal(old.entries.find((x) => x.problem === 'q1')!.points.length, 2);
});

test('hintsOfRollout finds the points a rollout received from its hint_ids and prompt', async () => {
  const { hintsOfRollout } = await import('../../../src/knowledge/kpFile');
  const entries = [e('q1', 'a', 'b'), { problem: 'q2', points: [{ id: 'a', text: 'Other A' }], selected: [] }];
  assert.deepEqual(hintsOfRollout(entries, ['a'], 'What?\n\nHints:\n- Other A'), [{ id: 'a', text: 'Other A' }]);
  assert.deepEqual(hintsOfRollout(entries, ['a', 'b'], 'Hints:\n- a\n- b\n\nQ'), [{ id: 'a', text: 'a' }, { id: 'b', text: 'b' }]);
  assert.deepEqual(hintsOfRollout(entries, [], 'Hints:\n- a'), []);
  assert.deepEqual(hintsOfRollout(entries, ['zz'], 'x'), []);
});

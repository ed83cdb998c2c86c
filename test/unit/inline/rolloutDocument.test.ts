// Rollout documents over a rollout the real trainer recorded (test/fixtures/runs/completed-tiny):
// header, exact prompt and completion text, token ranges, heat and hovers.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { SCALES } from '../../../src/common/colorScale';
import { exact, unitStyle } from '../../../src/common/tokenHeat';
import { LineIndex } from '../../../src/common/tokenRanges';
import { forkingLines, heatRanges, nextForkingUnit } from '../../../src/inline/heat';
import { escapeMarkdown, tokenHoverMarkdown } from '../../../src/inline/hoverText';
import { COMPLETION_RULE, PROMPT_RULE, buildRolloutDocument, errorDocument, unitAt } from '../../../src/inline/rolloutDocument';
import { RolloutReader, type RolloutDetail } from '../../../src/runs/rollouts';

const SHARD = path.resolve(__dirname, '../../fixtures/runs/completed-tiny/rollouts/step-00000003.parquet');

describe('rollout documents', () => {
  let detail: RolloutDetail;
  before(async () => {
    detail = await new RolloutReader().readRollout(SHARD, 1);
  });

  it('holds a header, the exact prompt and the completion, each token at its range', () => {
    const doc = buildRolloutDocument(detail, { runName: 'completed-tiny', source: 'step 3', groupSize: 4 });
    const lines = doc.text.split('\n');
    assert.match(lines[0], /^RL Studio rollout · run completed-tiny · step 3 · prompt 0 · sample 1 of 4$/);
    assert.match(lines[1], /^reward 0 \(exact 0 · brittle —\) · advantage -1\.488 · 12 tokens · truncated · forking: entropy ≥ 6\.235$/);
    assert.match(lines[2], /^reward errors: brittle: BadRewardValue/);
    const promptStart = doc.text.indexOf(`${PROMPT_RULE}\n`) + PROMPT_RULE.length + 1;
    assert.equal(doc.text.slice(promptStart, promptStart + detail.prompt.length), detail.prompt);
    assert.ok(doc.text.endsWith(`${COMPLETION_RULE}\n${detail.completion}`), 'the completion is the last thing, exactly');
    const all = new LineIndex(doc.text);
    for (let t = 0; t < detail.tokens.length; t++) {
      const r = doc.ranges[doc.layout.tokenUnit[t]];
      const text = doc.text.slice(all.offsetAt(r.start), all.offsetAt(r.end));
      // Pieces that are part of a split character share their unit's text; whole pieces read back as themselves.
      if (detail.tokens[t] !== '' && !detail.tokens[t].includes('\uFFFD')) assert.ok(text.includes(detail.tokens[t]), `token ${t}`);
      if (!isEmpty(r)) assert.equal(unitAt(doc, r.start.line, r.start.character), doc.layout.tokenUnit[t], `hover target of token ${t}`);
    }
    assert.equal(unitAt(doc, 0, 0), -1, 'the header is no token');
  });

  it('colours units on the inspector scale, outlines forking tokens and dims the ones without gradient', () => {
    const doc = buildRolloutDocument(detail, { runName: 'r', source: 'step 3' });
    for (const measure of ['entropy', 'probability', 'advantage'] as const) {
      const heat = heatRanges(doc, detail, measure);
      assert.equal(heat.bins.length, SCALES[measure].colors.length);
      const styled = doc.layout.units.map((u) => unitStyle(detail, u, measure));
      const shown = (test: (s: (typeof styled)[number]) => boolean) => styled.filter((s, u) => test(s) && !isEmpty(doc.ranges[u])).length;
      assert.equal(heat.bins.flat().length, shown((s) => s.bin >= 0));
      assert.equal(heat.noGradient.length, shown((s) => !s.gradient));
      assert.equal(heat.forking.length, shown((s) => s.forking));
      heat.bins.forEach((ranges, bin) => ranges.forEach((r) => assert.equal(styled[doc.ranges.indexOf(r)].bin, bin)));
    }
    const forking = doc.layout.units.map((u) => Array.from({ length: u.end - u.start }, (_, k) => detail.entropies[u.start + k] >= detail.entropyThreshold!).some(Boolean));
    const first = forking.indexOf(true);
    assert.equal(nextForkingUnit(doc, detail, -1, 1), first);
    assert.equal(nextForkingUnit(doc, detail, first, -1), forking.lastIndexOf(true));
  });

  it('decorates only the lines asked for (an editor asks for its viewport), and marks every forking line', () => {
    const tokens = Array.from({ length: 3000 }, (_, i) => (i % 10 === 9 ? '\n' : ` w${i}`));
    const values = {
      tokens,
      logprobs: tokens.map(() => -0.5),
      entropies: tokens.map((_, i) => (i % 7) / 2),
      lossMask: tokens.map((_, i) => i % 2),
      advantage: 1,
      entropyThreshold: 2.5,
    };
    const long = { ...detail, ...values, tokenIds: tokens.map((_, i) => i), completion: tokens.join('') };
    const doc = buildRolloutDocument(long, { runName: 'r', source: 'step 1' });
    const all = heatRanges(doc, long, 'entropy');
    const part = heatRanges(doc, long, 'entropy', 100, 120);
    const inLines = (r: { start: { line: number }; end: { line: number } }) => r.end.line >= 100 && r.start.line <= 120;
    assert.deepEqual(part.bins.map((b) => b.length), all.bins.map((b) => b.filter(inLines).length));
    assert.deepEqual(part.forking, all.forking.filter(inLines));
    assert.deepEqual(part.noGradient, all.noGradient.filter(inLines));
    assert.deepEqual(forkingLines(doc, long), [...new Set(all.forking.map((r) => r.start.line))]);
  });

  it('hovers with the exact numbers of the shard, escaping the piece', () => {
    const doc = buildRolloutDocument(detail, { runName: 'r', source: 'step 3' });
    const u = doc.layout.tokenUnit[detail.tokens.length - 1];
    const markdown = tokenHoverMarkdown(detail, doc.layout.units[u]);
    const t = detail.tokens.length - 1;
    for (const value of [String(detail.tokenIds[t]), exact(detail.logprobs[t]), exact(Math.exp(detail.logprobs[t])), exact(detail.entropies[t])]) {
      assert.ok(markdown.includes(escapeMarkdown(value)) || markdown.includes(value), value);
    }
  });

  it('escapes hostile text: no link, image, HTML or table cell can start', () => {
    const hostile = '[x](command:rlstudio.startRun) ![i](http://e/x.png) <img src=x onerror=alert(1)> | a | `b` *c*';
    const escaped = escapeMarkdown(hostile);
    assert.doesNotMatch(escaped, /(?<!\\)[[\]()<>|`*!]/);
    const markdown = tokenHoverMarkdown(
      { tokens: [hostile], tokenIds: [7], logprobs: [-0.5], entropies: [1], lossMask: [1], advantage: 1, entropyThreshold: null },
      { start: 0, end: 1, text: `${hostile}\n` },
    );
    assert.ok(!markdown.includes('](command:'));
    assert.ok(markdown.includes('↵'), 'a newline in a piece is shown, not a line break of the table');
  });

  it('shows why a rollout cannot be read', () => {
    assert.equal(errorDocument('run /x, step 3', 'The run folder /x does not exist any more.'), 'RL Studio cannot show this rollout\n\nrun /x, step 3\n\nThe run folder /x does not exist any more.\n');
  });
});

function isEmpty(r: { start: { line: number; character: number }; end: { line: number; character: number } }): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}

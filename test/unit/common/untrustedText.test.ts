// Run-provided text in VS Code's UI strings (issue 14, item 12): a run named
// `[click](command:rlstudio.deleteRun)` or `$(flame) hot` must read as written.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownCodeBlock, markdownText, plainText } from '../../../src/common/untrustedText';

// The syntaxes as VS Code parses them: notification links (vs/base/common/linkedText.ts) and icons
// in labels (vs/base/common/iconLabels.ts).
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;
const ICON = /(?<!\\)\$\([a-z0-9-]+(?:~[a-z]+)?\)/i;

const HOSTILE = 'run [click me](command:workbench.action.terminal.new) $(flame) [x](https://example.com)';

test('plain text: no live link and no icon survives, and it still reads the same', () => {
  assert.match(HOSTILE, NOTIFICATION_LINK);
  assert.match(HOSTILE, ICON);
  const shown = plainText(HOSTILE);
  assert.doesNotMatch(shown, NOTIFICATION_LINK);
  assert.doesNotMatch(shown, ICON);
  assert.equal(shown.replace(/\u2060/g, ''), HOSTILE);
  assert.equal(plainText('plain-name_1.5'), 'plain-name_1.5');
});

test('markdown text: link, icon and emphasis syntax escaped', () => {
  const md = markdownText(HOSTILE + ' **bold** <b>');
  assert.doesNotMatch(md, /(?<!\\)\[/);
  assert.doesNotMatch(md, ICON);
  assert.doesNotMatch(md, /(?<!\\)[*<]/);
});

test('a code block cannot be closed from inside', () => {
  const block = markdownCodeBlock('ValueError: ```\n[x](command:evil)\n```');
  const fence = block.trim().split('\n')[0].replace('text', '');
  assert.equal(fence, '````');
  assert.equal(block.trim().split('\n').filter((line) => line.startsWith(fence)).length, 2);
});

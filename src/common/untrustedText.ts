// Text that comes from a run (its name, the trainer's error message, a host name) on its way into
// VS Code's own UI strings. Those strings are not plain: notifications turn `[text](command:…)` into
// a live link, and notifications, quick picks and the status bar turn `$(name)` into an icon.
// Pure: no `vscode`, no DOM.

/** U+2060 WORD JOINER: invisible, and it breaks the two syntaxes without changing what is read. */
const JOINER = '\u2060';

/**
 * For notifications, progress titles, quick pick items and the status bar: `$(name)` stays text and
 * `[text](target)` is no link (a joiner after `$` and after `]`).
 */
export function plainText(text: string): string {
  return text.replace(/\$\(/g, `$${JOINER}(`).replace(/\]\(/g, `]${JOINER}(`);
}

/**
 * For a MarkdownString (tooltips, hovers): every character Markdown or the icon syntax gives a
 * meaning to is escaped, so run data reads as written and links nothing.
 */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>$~&:]/g, '\\$&');
}

/**
 * A fenced code block for a MarkdownString whose content cannot close it: the fence is longer than
 * any run of backticks inside.
 */
export function markdownCodeBlock(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n${fence}text\n${code}\n${fence}\n`;
}

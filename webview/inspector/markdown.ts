// A small Markdown renderer that builds DOM nodes from untrusted text. It never parses HTML: tags in
// the text stay literal text; links are shown as text (no href), so `javascript:` cannot run.
// Supported: headings, paragraphs, fenced code, bullet and numbered lists, **bold**, *italic*, `code`.

import { append, el } from '../shared/dom';

export function renderMarkdown(text: string): HTMLElement {
  const root = el('div', { class: 'markdown' });
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*```/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) body.push(lines[i++]);
      i++;
      root.appendChild(el('pre', {}, el('code', {}, body.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const h = el(`h${heading[1].length}`);
      inline(h, heading[2]);
      root.appendChild(h);
      i++;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = el(ordered ? 'ol' : 'ul');
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        const li = el('li');
        inline(li, lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ''));
        list.appendChild(li);
        i++;
      }
      root.appendChild(list);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^\s*(```|#{1,6}\s|[-*+]\s|\d+[.)]\s)/.test(lines[i])) {
      para.push(lines[i++]);
    }
    const p = el('p');
    inline(p, para.join('\n'));
    root.appendChild(p);
  }
  return root;
}

/** Inline spans: `code`, **bold**, *italic*; everything else literal text. */
function inline(parent: HTMLElement, text: string): void {
  const pattern = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    append(parent, text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith('`')) {
      parent.appendChild(el('code', {}, token.slice(1, -1)));
    } else if (token.startsWith('**')) {
      parent.appendChild(el('strong', {}, token.slice(2, -2)));
    } else {
      parent.appendChild(el('em', {}, token.slice(1, -1)));
    }
    last = (match.index ?? 0) + token.length;
  }
  append(parent, text.slice(last));
}

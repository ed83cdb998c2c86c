// The token view of one rollout: the prompt, then the completion token by token, coloured by the
// chosen measure on a binned scale. Forking tokens (in the high-entropy mask) are outlined, tokens
// without gradient dimmed. Long completions render in chunks as the user scrolls (first paint is
// one chunk). Hovering or focusing a token shows a card with its exact numbers.

import type { InspectedRollout, Measure, RolloutDetail } from '../../src/webviews/inspector/protocol';
import { append, clear, el } from '../shared/dom';
import { formatNumber } from '../../src/common/format';
import { SCALES } from '../../src/common/colorScale';
import { exact, isForking, unitStyle } from '../../src/common/tokenHeat';
import { renderMarkdown } from './markdown';
import { replayLine, sourceLine } from './sourceLine';
import { tokenUnits, visibleSegments, type TokenUnit } from '../../src/common/tokenUnits';

/** Re-exported for the inspector's tests, which compare the card with the shard's numbers. */
export { exact };

export interface TokenViewOptions {
  measure: Measure;
  showWhitespace: boolean;
  collapseThink: boolean;
  markdown: boolean;
}

/** Units rendered first (more than a screenful), then per chunk as the user scrolls. */
export const FIRST_CHUNK_UNITS = 600;
export const CHUNK_UNITS = 1500;

type Item = { kind: 'unit'; unit: number } | { kind: 'think'; from: number; to: number };

export class TokenView {
  readonly element = el('div', { class: 'token-view' });
  private readonly card = el('div', { class: 'token-card', role: 'tooltip', hidden: true });
  private detail: InspectedRollout | undefined;
  private options: TokenViewOptions | undefined;
  private units: TokenUnit[] = [];
  private items: Item[] = [];
  private rendered = 0;
  private expandedThink = new Set<number>();
  private container: HTMLElement | undefined;
  private sentinel: HTMLElement | undefined;
  private observer: IntersectionObserver | undefined;
  private active = -1;

  show(detail: InspectedRollout, options: TokenViewOptions): void {
    if (this.detail !== detail) {
      this.expandedThink.clear();
      this.units = tokenUnits(detail.tokens, detail.completion);
      this.active = -1;
    }
    this.detail = detail;
    this.options = options;
    this.render();
  }

  clear(message: string): void {
    this.detail = undefined;
    this.observer?.disconnect();
    clear(this.element);
    this.element.appendChild(el('p', { class: 'muted' }, message));
  }

  private render(): void {
    const detail = this.detail!;
    const options = this.options!;
    this.observer?.disconnect();
    clear(this.element);

    this.element.appendChild(this.legend(detail, options.measure));
    if (detail.replayed) {
      // Rollout replay: the completion (and its logprobs) came from the policy of an earlier step.
      this.element.appendChild(el('p', { class: 'replay-line', role: 'note' }, replayLine(detail)));
    }
    const prompt = el('pre', { class: 'prompt', 'aria-label': 'Prompt' });
    appendVisible(prompt, detail.prompt, options.showWhitespace);
    this.element.appendChild(el('details', { class: 'prompt-block', open: true }, el('summary', {}, 'Prompt'), prompt));
    if (detail.hintIds.length > 0) {
      // The knowledge points injected into this prompt (their text is part of the prompt above).
      this.element.appendChild(el('p', { class: 'hints', 'aria-label': 'Hints' }, `Hints received: ${detail.hintIds.join(', ')}`));
    }
    if (detail.datasetIndex != null) {
      this.element.appendChild(el('p', { class: 'source-row', 'aria-label': 'Source row' }, sourceLine(detail)));
    }

    if (options.markdown) {
      this.element.appendChild(this.markdown(detail.completion, options.collapseThink));
      return;
    }

    this.items = this.layout(options.collapseThink);
    this.rendered = 0;
    const container = el('div', {
      class: 'tokens',
      tabindex: 0,
      role: 'group',
      'aria-label': `Completion, ${detail.tokens.length} tokens; arrow keys move between tokens`,
    });
    this.container = container;
    container.addEventListener('mouseover', (e) => this.onHover(e));
    container.addEventListener('mouseleave', () => this.hideCard());
    container.addEventListener('focusin', (e) => this.onHover(e));
    container.addEventListener('keydown', (e) => this.onKey(e));
    container.addEventListener('click', (e) => this.onClick(e));
    this.sentinel = el('span', { class: 'sentinel', 'aria-hidden': 'true' });
    container.appendChild(this.sentinel);
    this.element.append(container, this.card);
    this.renderMore();
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        this.renderMore();
      }
    });
    this.observer.observe(this.sentinel);
  }

  /** Renders the next chunk of units before the sentinel. */
  private renderMore(): void {
    if (!this.container || !this.sentinel || this.rendered >= this.items.length) {
      return;
    }
    const fragment = document.createDocumentFragment();
    const end = Math.min(this.items.length, this.rendered + (this.rendered === 0 ? FIRST_CHUNK_UNITS : CHUNK_UNITS));
    for (let k = this.rendered; k < end; k++) {
      const item = this.items[k];
      fragment.appendChild(item.kind === 'unit' ? this.unitElement(item.unit) : this.thinkElement(item));
    }
    this.rendered = end;
    this.container.insertBefore(fragment, this.sentinel);
    if (this.rendered >= this.items.length) {
      this.observer?.disconnect();
      this.sentinel.remove();
    }
  }

  private unitElement(u: number): HTMLElement {
    const unit = this.units[u];
    const scale = SCALES[this.options!.measure];
    const style = unitStyle(this.detail!, unit, scale.measure);
    const span = el('span', { class: 'tok', 'data-u': u, 'data-bin': style.bin });
    if (style.bin >= 0) {
      span.style.backgroundColor = scale.colors[style.bin];
    }
    if (style.forking) span.classList.add('fork');
    if (!style.gradient) span.classList.add('nograd');
    appendVisible(span, unit.text, this.options!.showWhitespace);
    return span;
  }

  private thinkElement(item: { from: number; to: number }): HTMLElement {
    const tokens = this.units[item.to - 1].end - this.units[item.from].start;
    return el('button', { class: 'think-toggle', 'data-think': item.from }, `<think> … ${tokens} tokens (show)`);
  }

  /** Display items: units, with <think>…</think> runs folded when asked. */
  private layout(collapseThink: boolean): Item[] {
    const items: Item[] = [];
    for (let u = 0; u < this.units.length; u++) {
      if (collapseThink && this.units[u].text.includes('<think>') && !this.expandedThink.has(u)) {
        let end = u;
        while (end < this.units.length && !this.units[end].text.includes('</think>')) end++;
        const to = Math.min(this.units.length, end + 1);
        items.push({ kind: 'think', from: u, to });
        u = to - 1;
        continue;
      }
      items.push({ kind: 'unit', unit: u });
    }
    return items;
  }

  private markdown(completion: string, collapseThink: boolean): HTMLElement {
    const match = /<think>([\s\S]*?)(<\/think>|$)/.exec(completion);
    const wrapper = el('div', { class: 'markdown-view' });
    if (match) {
      const thinking = el('details', { open: !collapseThink }, el('summary', {}, 'Thinking'), el('pre', { class: 'prompt' }, match[1]));
      wrapper.appendChild(thinking);
      wrapper.appendChild(renderMarkdown(completion.slice(0, match.index) + completion.slice(match.index + match[0].length)));
    } else {
      wrapper.appendChild(renderMarkdown(completion));
    }
    return wrapper;
  }

  private legend(detail: RolloutDetail, measure: Measure): HTMLElement {
    const scale = SCALES[measure];
    const legend = el('div', { class: 'legend', 'aria-label': `Colour scale: ${measure}` });
    const names: Record<Measure, string> = { entropy: 'entropy', probability: 'probability', advantage: 'advantage (gradient tokens)', implicit: 'implicit reward β·(log π − log π_ref)' };
    legend.appendChild(el('span', { class: 'muted' }, detail.role ? `${detail.role} · ${names[measure]}` : names[measure]));
    scale.colors.forEach((color, i) => {
      const swatch = el('span', { class: 'swatch', 'data-bin': i });
      swatch.style.backgroundColor = color;
      legend.appendChild(el('span', { class: 'legend-bin' }, swatch, scale.labels[i]));
    });
    const threshold = detail.entropyThreshold;
    legend.append(
      el(
        'span',
        { class: 'legend-bin' },
        el('span', { class: 'swatch fork-sample' }),
        threshold === null ? 'no forking mask (all tokens trained)' : `forking: entropy ≥ ${formatNumber(threshold, 4)}`,
      ),
      el('span', { class: 'legend-bin' }, el('span', { class: 'nograd-sample' }, 'abc'), 'no gradient'),
    );
    return legend;
  }

  // --- interaction ------------------------------------------------------------------------

  private onHover(event: Event): void {
    const target = (event.target as HTMLElement).closest<HTMLElement>('.tok');
    if (!target) {
      return;
    }
    this.showCard(target, Number(target.dataset.u));
  }

  private onClick(event: MouseEvent): void {
    const toggle = (event.target as HTMLElement).closest<HTMLElement>('.think-toggle');
    if (toggle) {
      this.expandedThink.add(Number(toggle.dataset.think));
      this.render();
    }
  }

  private onKey(event: KeyboardEvent): void {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10 };
    let next: number;
    if (event.key in moves) {
      next = Math.max(0, Math.min(this.units.length - 1, this.active + moves[event.key]));
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = this.units.length - 1;
    } else if (event.key === 'Escape') {
      this.hideCard();
      return;
    } else {
      return;
    }
    event.preventDefault();
    this.focusUnit(next);
  }

  /** Moves keyboard focus to a unit, rendering chunks until it exists. */
  focusUnit(u: number): void {
    let target = this.container?.querySelector<HTMLElement>(`.tok[data-u="${u}"]`);
    while (!target && this.rendered < this.items.length) {
      this.renderMore();
      target = this.container?.querySelector<HTMLElement>(`.tok[data-u="${u}"]`);
    }
    if (!target) {
      return; // folded inside a <think> block
    }
    this.container?.querySelector('.tok.active')?.classList.remove('active');
    target.classList.add('active');
    target.tabIndex = -1;
    this.active = u;
    target.focus();
  }

  private showCard(anchor: HTMLElement, u: number): void {
    const detail = this.detail!;
    const unit = this.units[u];
    clear(this.card);
    const text = el('div', { class: 'card-text' });
    appendVisible(text, unit.text, true);
    this.card.appendChild(text);
    const table = el('table', { class: 'plain' });
    const dpo = Boolean(detail.refLogprobs && detail.implicitRewards);
    const heads = dpo ? ['pos', 'id', 'logprob', 'ref logprob', 'implicit reward', 'entropy'] : ['pos', 'id', 'logprob', 'prob', 'entropy', 'gradient', 'forking'];
    table.appendChild(el('tr', {}, ...heads.map((h) => el('th', {}, h))));
    for (let t = unit.start; t < unit.end && t < unit.start + 8; t++) {
      const lp = detail.logprobs[t];
      if (dpo) {
        const cells = [String(t), String(detail.tokenIds[t] ?? '—'), exact(lp), exact(detail.refLogprobs![t]), exact(detail.implicitRewards![t]), exact(detail.entropies[t])];
        table.appendChild(el('tr', { 'data-token': t }, ...cells.map((c) => el('td', { class: 'num' }, c))));
        continue;
      }
      table.appendChild(
        el(
          'tr',
          { 'data-token': t },
          el('td', { class: 'num' }, String(t)),
          el('td', { class: 'num' }, String(detail.tokenIds[t] ?? '—')),
          el('td', { class: 'num' }, exact(lp)),
          el('td', { class: 'num' }, exact(Math.exp(lp))),
          el('td', { class: 'num' }, exact(detail.entropies[t])),
          el('td', {}, detail.lossMask[t] === 1 ? 'yes' : 'no'),
          el('td', {}, isForking(detail, t) ? 'yes' : 'no'),
        ),
      );
    }
    this.card.appendChild(table);
    if (unit.end - unit.start > 1) {
      this.card.appendChild(el('div', { class: 'muted' }, `${unit.end - unit.start} tokens form this text`));
    }
    this.card.hidden = false;
    const box = anchor.getBoundingClientRect();
    const host = this.element.getBoundingClientRect();
    // Under the token, moved left as far as it takes to end inside the view (and the window).
    const right = Math.min(host.width, window.innerWidth - host.left);
    this.card.style.left = `${Math.max(0, Math.min(box.left - host.left, right - this.card.offsetWidth))}px`;
    this.card.style.top = `${box.bottom - host.top + this.element.scrollTop + 4}px`;
  }

  private hideCard(): void {
    this.card.hidden = true;
  }
}

function appendVisible(parent: HTMLElement, text: string, showWhitespace: boolean): void {
  for (const segment of visibleSegments(text, showWhitespace)) {
    if (segment.kind === 'text') {
      append(parent, segment.text);
    } else {
      parent.appendChild(el('span', { class: segment.kind }, segment.text));
    }
  }
}

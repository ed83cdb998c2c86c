// Theme colours for canvases: chart.js draws on a canvas, which needs real colours, not var(--…).

import { el } from './dom';

/** Resolved theme colours as rgb() strings, one per --vscode-* variable name. */
export function themeColors(names: string[], fallback = 'rgb(55, 148, 255)'): string[] {
  const probe = el('span', { hidden: true });
  document.body.appendChild(probe);
  const colors = names.map((name) => {
    probe.style.color = fallback;
    probe.style.color = `var(${name}, ${fallback})`;
    return getComputedStyle(probe).color || fallback;
  });
  probe.remove();
  return colors;
}

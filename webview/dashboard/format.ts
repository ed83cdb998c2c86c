// How the dashboard's charts write numbers and colours.

import { formatNumber } from '../../src/common/format';

/**
 * A linear axis' tick label. chart.js's own formatter builds an Intl.NumberFormat per distinct
 * precision, a sixth of the time of creating a dashboard of 20 charts.
 */
export function tickLabel(value: number | string): string {
  if (typeof value !== 'number') return value;
  // Steps and other whole numbers as they are (100000, not 1.00e+5).
  return Number.isInteger(value) && Math.abs(value) < 1e12 ? String(value) : formatNumber(value, 4);
}

/** A readout value: NaN is a row without this metric (or a non-finite one), shown as a dash. */
export function formatValue(value: number): string {
  return formatNumber(Number.isNaN(value) ? null : value, 4);
}

/** 'rgb(r, g, b)' or 'rgba(r, g, b, a)' (as getComputedStyle returns colours) with a new alpha. */
export function alpha(color: string, a: number): string {
  const parts = /rgba?\(([^)]+)\)/.exec(color)?.[1].split(/[ ,/]+/).filter(Boolean);
  return parts && parts.length >= 3 ? `rgba(${parts[0]}, ${parts[1]}, ${parts[2]}, ${a})` : color;
}

// The dashboard chart's x axis as chart.js lays it out, in real Chromium (issue 14, item 16): a step
// axis over few steps has ticks at whole steps only, never 1.5 or 2.5.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openApp } from './harness';

it('a step axis has whole-number ticks only', async () => {
  const app = await openApp('metric-chart', { viewport: { width: 600, height: 400 } });
  try {
    await app.page.waitForFunction(() => (window as unknown as { xTicks?: string[] }).xTicks !== undefined);
    const ticks = await app.page.evaluate(() => (window as unknown as { xTicks: string[] }).xTicks);
    assert.ok(ticks.length >= 2, `ticks: ${ticks.join(', ')}`);
    assert.deepEqual(ticks.filter((t) => !/^\d+$/.test(t)), [], `ticks: ${ticks.join(', ')}`);
    assert.deepEqual(app.errors, []);
  } finally {
    await app.close();
  }
});

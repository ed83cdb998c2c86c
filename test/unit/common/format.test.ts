import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber } from '../../../src/common/format';

test('one number format for the Runs view and the webviews', () => {
  assert.equal(formatNumber(0.6213, 4), '0.6213');
  assert.equal(formatNumber(0.6213, 2), '0.62');
  assert.equal(formatNumber(1234.5, 2), '1234.5');
  assert.equal(formatNumber(0.0012, 2), '0.0012', 'a small value keeps two significant digits');
  assert.equal(formatNumber(0.0004), '4.00e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(Number.NaN), 'NaN');
  assert.equal(formatNumber(-Infinity), '-Infinity');
});

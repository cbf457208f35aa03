/**
 * The budget check itself, on sizes given to it: a bundle one byte over a budget is reported, one
 * at it is not (the package test holds the real bundles to these budgets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUDGETS, type BundleSizes, overBudget } from '../scripts/bundle-sizes.ts';

const atBudget: BundleSizes = {
  light: { ...BUDGETS.light },
  full: { minified: 10 * BUDGETS.light.minified, gzipped: 10 * BUDGETS.light.gzipped },
  engine: { minified: BUDGETS.engine.minified, gzipped: 0 },
};

test('bundles at their budgets pass, and the full bundle has none', () => {
  assert.deepEqual(overBudget(atBudget), []);
});

test('a byte over any budget is reported, minified or gzipped', () => {
  const over = overBudget({ ...atBudget, light: { ...BUDGETS.light, minified: BUDGETS.light.minified + 1 } });
  assert.equal(over.length, 1);
  assert.match(over[0]!, /^light minified [\d.]+ KiB > [\d.]+ KiB$/);
  assert.equal(overBudget({ ...atBudget, light: { ...BUDGETS.light, gzipped: BUDGETS.light.gzipped + 1 } }).length, 1);
  assert.equal(overBudget({ ...atBudget, engine: { minified: BUDGETS.engine.minified + 1, gzipped: 0 } }).length, 1);
});

// Network profiles: viewers are spread over the tiers in their published shares, the same random
// source gives the same links, and rates given by hand parse or fail with the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawLink, NETWORK_NAMES, NETWORK_PROFILES, parseRate } from '../src/network/profiles.ts';

test('lan draws no link: viewers stay unshaped on loopback', () => {
  assert.equal(drawLink('lan', Math.random), null);
});

test('each shaped profile: shares add up to 100 and downlinks stay within what one machine can shape', () => {
  for (const name of NETWORK_NAMES.filter((network) => network !== 'lan')) {
    const { tiers, source } = NETWORK_PROFILES[name];
    assert.equal(tiers.reduce((sum, tier) => sum + tier.share, 0), 100, name);
    assert.ok(tiers.every((tier) => tier.downlinkKbit <= 100_000 && tier.uplinkKbit <= tier.downlinkKbit), name);
    assert.ok(source.length > 0, name);
  }
});

test('evenly spread draws land on each tier in proportion to its share', () => {
  for (const name of ['residential', 'mobile'] as const) {
    const draws = 1000;
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const link = drawLink(name, () => (i + 0.5) / draws);
      assert.ok(link);
      const key = `${link.uplinkKbit}/${link.downlinkKbit}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const tier of NETWORK_PROFILES[name].tiers) {
      assert.equal(counts.get(`${tier.uplinkKbit}/${tier.downlinkKbit}`), (tier.share * draws) / 100, `${name}: ${tier.name}`);
    }
  }
});

test('the same random sequence draws the same links; the ends of [0, 1) draw the first and last tiers', () => {
  const seeded = (seed: number) => () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const run = (random: () => number) => Array.from({ length: 50 }, () => drawLink('mobile', random));
  assert.deepEqual(run(seeded(7)), run(seeded(7)));
  const [first, last] = [NETWORK_PROFILES.residential.tiers[0]!, NETWORK_PROFILES.residential.tiers.at(-1)!];
  assert.deepEqual(drawLink('residential', () => 0), { uplinkKbit: first.uplinkKbit, downlinkKbit: first.downlinkKbit });
  assert.deepEqual(drawLink('residential', () => 1 - Number.EPSILON), { uplinkKbit: last.uplinkKbit, downlinkKbit: last.downlinkKbit });
});

test('parseRate: <number>kbit or <number>mbit, in kbit/s', () => {
  assert.equal(parseRate('2mbit'), 2000);
  assert.equal(parseRate('500kbit'), 500);
  assert.equal(parseRate('1.5MBit'), 1500);
  assert.equal(parseRate(' 10mbit '), 10_000);
  for (const bad of ['10Mbps', '2', 'mbit', '-1mbit', '0kbit', '0.4kbit', '1e3kbit', '']) {
    assert.throws(() => parseRate(bad), /expected a number and a unit|at least 1kbit/, bad);
  }
});

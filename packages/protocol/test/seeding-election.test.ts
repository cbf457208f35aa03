/** The seeding election shared by the tracker and the simulator: its sizing (mesh-capacity.ts) and ordering (seeding-order.ts), as pure functions. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { estimateMesh, HOP_OVERHEAD_MS, MIN_REACH, packReport, seedersFor, seedingClass, TWO_SEEDERS_FROM, unpackReport, type MemberReport } from '../src/mesh-capacity.ts';
import { MAX_SEEDING_WINDOW, MIN_SEEDING_WINDOW, seedingOrder, seedingWindow, takingTurns, TURN_ROUND, turnDraw } from '../src/seeding-order.ts';

/** A 240p rendition (400 kbit/s, 2 s segments) on residential uplinks, 2 s before the first backup fetches. */
const viewer = (overrides: Partial<MemberReport> = {}): MemberReport => ({ uplinkKbit: 15_000, uploads: true, connected: true, segmentBytes: 100_000, budgetMs: 2000, ...overrides });
const reports = (n: number, make: (i: number) => MemberReport | null) => Array.from({ length: n }, (_, i) => make(i));

test('seeders follow what the mesh carries in the budget: (1 + uploading share)^hops viewers per seeder', () => {
  const mesh = estimateMesh(reports(64, () => viewer()))!;
  const hopMs = (100_000 * 8) / 15_000 + HOP_OVERHEAD_MS;
  assert.equal(mesh.reach, 2 ** Math.floor(2000 / hopMs));
  // 7 hops: one copy reaches 128 viewers; a cell of 10,000 needs 79 seeders, not 1 in 50 (200).
  assert.equal(seedersFor(10_000, mesh, 50), Math.ceil(10_000 / mesh.reach));
  assert.equal(seedersFor(48, mesh, 50), 1, 'one fetch per segment at 48 viewers');
  assert.equal(seedersFor(1, mesh, 50), 1, 'a lone viewer seeds itself');
});

test('bigger segments, slower uplinks, a shorter budget or fewer uploaders need more seeders', () => {
  const seeders = (overrides: Partial<MemberReport>, share = 1) =>
    seedersFor(10_000, estimateMesh(reports(64, (i) => viewer({ ...overrides, uploads: i < 64 * share }))), 50);
  const base = seeders({});
  assert.ok(seeders({ segmentBytes: 750_000 }) > base, '3 Mbit/s rendition');
  assert.ok(seeders({ uplinkKbit: 1000 }) > base, 'ADSL uplinks');
  assert.ok(seeders({ budgetMs: 1000 }) > base, 'half the budget');
  assert.ok(seeders({}, 0.5) > base, 'half the viewers on cellular');
  assert.ok(seeders({ budgetMs: 8000 }) < base, 'a longer budget');
  // Nobody uploads: everyone fetches, but at most 1 in MIN_REACH counts as a seeder (the rest fetch at their floor).
  assert.equal(seeders({}, 0), Math.ceil(10_000 / MIN_REACH));
});

test('a minority of lying reports moves no median; without reports it is one seeder per viewersPerSeeder', () => {
  const honest = seedersFor(10_000, estimateMesh(reports(64, () => viewer())), 50);
  const liars = reports(64, (i) => (i < 20 ? viewer({ uplinkKbit: 10_000_000, segmentBytes: 1, budgetMs: 120_000 }) : viewer()));
  assert.equal(seedersFor(10_000, estimateMesh(liars), 50), honest);
  assert.equal(estimateMesh(reports(64, () => null)), null);
  assert.equal(seedersFor(10_000, null, 50), 200);
  // Members that never measured their uplink count as a low residential one, and as uploaders.
  const unmeasured = estimateMesh(reports(64, (i) => (i % 2 ? null : viewer({ uplinkKbit: null }))))!;
  assert.equal(unmeasured.uploadShare, 1);
  assert.equal(unmeasured.uplinkKbit, 2000);
});

test('reports survive the store as packed, and anything else reads as no report', () => {
  for (const report of [viewer(), viewer({ uplinkKbit: null, uploads: false, connected: false, segmentBytes: null, budgetMs: null })]) {
    assert.deepEqual(unpackReport(packReport(report)), report);
  }
  // An instance of the version before `connected`, during a rolling upgrade: its members count as connected.
  assert.deepEqual(unpackReport('15000,1,100000,2000'), viewer());
  for (const junk of [null, '', 'a,b', '1,1,1,1,1,1', '-5,1,100,2000', '1.5,1,100,2000']) {
    const report = unpackReport(junk);
    assert.ok(report === null || report.uplinkKbit === null, `${junk} → ${JSON.stringify(report)}`);
  }
});

test('the order puts members that upload first, one place per address per round within each', () => {
  const members = [
    { peerId: 'cellular-a', address: 'a', uploads: false },
    { peerId: 'a-1', address: 'a', uploads: true },
    { peerId: 'a-2', address: 'a', uploads: true },
    { peerId: 'b-1', address: 'b', uploads: true },
    { peerId: 'cellular-c', address: 'c', uploads: false },
    { peerId: 'c-1', address: 'c', uploads: true },
  ];
  assert.deepEqual(seedingOrder(members, (member) => (member.uploads ? 0 : 2)), ['a-1', 'b-1', 'c-1', 'a-2', 'cellular-a', 'cellular-c']);
  assert.deepEqual(seedingOrder(members), ['cellular-a', 'b-1', 'cellular-c', 'a-1', 'c-1', 'a-2']);
});

test('seeding classes: members that upload (measured or not yet: seeding must rotate) before those that do not, or too slowly', () => {
  const mesh = estimateMesh(reports(64, () => viewer()))!;
  assert.equal(seedingClass(viewer(), mesh), 0);
  assert.equal(seedingClass(null, mesh), 0);
  assert.equal(seedingClass(viewer({ uplinkKbit: null }), mesh), 0);
  assert.equal(seedingClass(viewer({ uploads: false }), mesh), 1);
  // No peer connected (unreachable, or just joined): its copy would go nowhere.
  assert.equal(seedingClass(viewer({ connected: false }), mesh), 1);
  assert.equal(seedingClass(viewer({ uplinkKbit: null, connected: false }), mesh), 1);
  // 100 kB at 300 kbit/s takes 2.7 s: more than the 2 s budget.
  assert.equal(seedingClass(viewer({ uplinkKbit: 300 }), mesh), 1);
});

test('a big swarm has two seeders at least: one that does not seed would leave it to its backups', () => {
  const mesh = estimateMesh(reports(64, () => viewer({ budgetMs: 10_000 })))!;
  assert.equal(seedersFor(TWO_SEEDERS_FROM - 1, mesh, 50), 1);
  assert.equal(seedersFor(TWO_SEEDERS_FROM, mesh, 50), 2);
});

/** Members m0.. with keys drawn as the tracker's ring keys would be (uniform), and each slot's key. */
const keyOf = (text: string) => createHash('sha256').update(text).digest().readUIntBE(0, 6);
const draws = (turn: number) => (member: { peerId: string }) => turnDraw(keyOf(member.peerId), keyOf(`slot ${turn}`));
const membersNamed = (n: number) => Array.from({ length: n }, (_, i) => ({ peerId: `m${i}`, address: `10.0.0.${i}` }));

test('a swarm read whole takes turns: every member as likely to seed, none two slots in a row within a round', () => {
  const members = membersNamed(3);
  const firsts = Array.from({ length: 600 }, (_, slot) => takingTurns(members, slot, 1, draws)[0]!);
  // Within a round never; from one round to the next as often as chance has it (1 in 3 here).
  for (let slot = 1; slot < firsts.length; slot++) if (slot % TURN_ROUND !== 0) assert.notEqual(firsts[slot], firsts[slot - 1], `slot ${slot}`);
  for (const { peerId } of members) {
    const share = firsts.filter((first) => first === peerId).length / firsts.length;
    assert.ok(share > 0.25 && share < 0.42, `${peerId} seeded ${(share * 100).toFixed(1)} % of slots`);
  }
  // The same inputs give the same order: instances agree without sharing state.
  assert.deepEqual(takingTurns(members, 42, 1, draws), takingTurns([...members].reverse(), 42, 1, draws));
  // Two seeders of five: the next slot's two are the other three's first two.
  const five = membersNamed(5);
  for (let slot = 1; slot < 50; slot++) {
    if (slot % TURN_ROUND === 0) continue;
    const before = takingTurns(five, slot - 1, 2, draws).slice(0, 2);
    assert.ok(takingTurns(five, slot, 2, draws).slice(0, 2).every((peerId) => !before.includes(peerId)));
  }
});

test('a swarm read whole: classes still come first, and a newcomer rarely moves the seeder unless it draws first', () => {
  const members = membersNamed(8);
  // Only m3 uploads: it seeds every slot, its turn or not.
  for (let slot = 0; slot < 20; slot++) assert.equal(takingTurns(members, slot, 1, draws, (member) => (member.peerId === 'm3' ? 0 : 1))[0], 'm3');
  const newcomer = { peerId: 'new', address: '10.0.1.1' };
  let moved = 0;
  for (let slot = 0; slot < 400; slot++) {
    const first = takingTurns([...members, newcomer], slot, 1, draws)[0];
    if (first !== 'new' && first !== takingTurns(members, slot, 1, draws)[0]) moved++;
  }
  // Only through the round so far (the newcomer drew first in an earlier slot of it): under 1 slot in 20.
  assert.ok(moved < 20, `the newcomer moved another seeder in ${moved} of 400 slots`);
});

test('the members read for a slot: twice those with a role, within the window bounds', () => {
  assert.equal(seedingWindow(3), MIN_SEEDING_WINDOW);
  assert.equal(seedingWindow(100), 200);
  assert.equal(seedingWindow(10_000), MAX_SEEDING_WINDOW);
});

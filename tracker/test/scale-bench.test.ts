/**
 * The scale bench's own path (bench/scale-run.ts), small: tracker processes on a Redis Cluster, one
 * stream of real WebSocket peers from a load process at a cadence, some polling /coordination.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureScale, type ScaleResult, type ScaleSetup } from '../bench/scale-run.ts';

const small: ScaleSetup = {
  store: 'cluster',
  peers: 200,
  instances: 2,
  loadProcesses: 1,
  // Peers expire after two silent intervals: long enough that a busy CI machine's pauses never expire one.
  announceIntervalSec: 10,
  windowSec: 3,
  coordinationShare: 0.25,
  coordinationPollMs: 500,
  connectConcurrency: 50,
  warmupPeers: 0,
  idleSec: 1,
  settleSec: 1,
  log: () => undefined,
};

function assertNothingRefused(result: ScaleResult): void {
  assert.equal(result.joined, small.peers);
  assert.equal(result.joinFailures, 0, result.firstJoinError);
  assert.deepEqual(result.windowFailures, {});
  assert.deepEqual(result.trackerRejections, {});
  assert.equal(result.disconnects, 0);
  assert.equal(result.trackerPeers, small.peers);
  assert.equal(result.heldAfterStop, 0, 'every peer leaves with its socket');
  assert.ok(result.coordination.answers > 0, 'polling peers were answered');
  assert.deepEqual(result.coordination.failures, {});
  assert.equal(result.coordination.notMember, 0, 'a joined peer is a member of its stream');
}

test('a stream of 200 peers over 2 instances on a Redis Cluster: every peer joins, offers are answered across instances, nothing is refused', async () => {
  const result = await measureScale(small);
  assertNothingRefused(result);
  assert.ok(result.announces > 0 && result.relayLatencyMs.count > 0, 'peers announced and offers were answered in the window');
  assert.equal(result.cells, 1);
});

test('a stream beyond MAX_PEERS_PER_SWARM is split into cells over the cluster\'s nodes, each peer in one of them', async () => {
  // One instance, few joins at once: a cell grows by at most those in flight past the 80 % that
  // opens more (32 of 40), so none fills. With several instances, joins also land in the first cell
  // until the others read the new count (within 1 s) and can fill it: then a joiner whose every
  // choice is full is refused (swarm_full, "retry later"), as the README says.
  const result = await measureScale({ ...small, instances: 1, connectConcurrency: 5, maxPeersPerSwarm: 40 });
  assertNothingRefused(result);
  assert.ok(result.cells > 1, `split into ${result.cells} cell(s)`);
  const members = result.nodes.flatMap((node) => node.cellSizes);
  assert.equal(members.reduce((a, b) => a + b, 0), small.peers, 'the cells hold every peer once');
  assert.ok(Math.max(...members) <= 40, `cells of ${members.join(', ')} members`);
  assert.ok(result.nodes.filter((node) => node.cellSizes.length > 0).length > 1, 'cells on more than one node');
});

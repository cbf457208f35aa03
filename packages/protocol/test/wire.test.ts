/**
 * Client frames as the tracker parses them. The tracker's conformance test covers the failure
 * reasons end to end; these are the ones where the schema's JSON form decides what a client reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { id20 } from '@swarmcast/testkit';
import { createMessageParser } from '../src/wire.ts';

const parse = createMessageParser({ maxOffers: 2, maxScrapeHashes: 2 });
const announce = { action: 'announce', info_hash: id20('swarm'), peer_id: id20('peer') };
const offer = (type: unknown) => ({ offer_id: id20('offer'), offer: { type, sdp: 'v=0' } });

test('an announce with offers, an answer and a scrape parse as themselves', () => {
  const withOffers = { ...announce, event: 'started', numwant: 2, uploaded: null, left: 0, offers: [offer('offer')], extra: 'kept' };
  assert.deepEqual(parse(JSON.stringify(withOffers)), { ok: true, value: { kind: 'announce', message: withOffers } });
  const answer = { ...announce, to_peer_id: id20('other'), offer_id: id20('offer'), answer: { type: 'answer', sdp: 'v=0' } };
  assert.deepEqual(parse(JSON.stringify(answer)), { ok: true, value: { kind: 'answer', message: answer } });
  assert.deepEqual(parse('{"action":"scrape"}'), { ok: true, value: { kind: 'scrape', message: { action: 'scrape' } } });
});

test('a constant or a nullable count of the wrong type gets one plain reason', () => {
  const reason = (message: unknown) => {
    const result = parse(JSON.stringify(message));
    return result.ok ? 'accepted' : result.reason;
  };
  assert.equal(reason({ ...announce, offers: [offer(7)] }), 'invalid announce: offers.0.offer.type must be equal to constant');
  assert.equal(reason({ ...announce, offers: [offer('answer')] }), 'invalid announce: offers.0.offer.type must be equal to constant');
  assert.equal(reason({ ...announce, uploaded: 'x' }), 'invalid announce: uploaded must be number,null');
  assert.equal(reason({ ...announce, event: 1 }), 'invalid announce: event must be equal to one of the allowed values');
});

test('one offer too many is its own code, so the tracker can count it', () => {
  const result = parse(JSON.stringify({ ...announce, offers: [offer('offer'), offer('offer'), offer('offer')] }));
  assert.ok(!result.ok);
  assert.equal(result.code, 'too_many_offers');
});

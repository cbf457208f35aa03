// Coordination benchmark: the cost of `GET /coordination` answers as one swarm grows, on the memory
// store and on a throwaway Redis. Members join through the store (no sockets: a process here holds
// < 20,000), then members picked at random ask for their place for a while, at a steady pace, the
// way polling viewers do; the answer time includes the per-instance read every ~2 s.
// Run: npm run bench:coordination -w tracker [-- --sizes 1000,10000,100000 --seconds 10 --rate 500]
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startRedis } from '@swarmcast/testkit';
import { buildTracker } from '../src/app.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { createRedisClient, connectRedis } from '../src/store/redis-client.ts';
import { RedisStore } from '../src/store/redis.ts';
import type { SwarmStore } from '../src/store/store.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '500' },
    stores: { type: 'string', default: 'memory,redis' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);

const id20 = (n: number) => `bench-${String(n).padStart(14, '0')}`;
const INFO_HASH = 'coordination-bench-1';

async function fill(store: SwarmStore, size: number): Promise<void> {
  for (let first = 0; first < size; first += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, size - first) }, (_, k) => {
        const i = first + k;
        return store.announce({
          infoHash: INFO_HASH, peerId: id20(i), owner: `bench:${i}`, proven: false, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          locality: '', seeder: false, completed: false, numwant: 0, maxPeersPerSwarm: 10_000_000, ttlMs: 3_600_000,
        });
      }),
    );
  }
}

/** `holder` holds the members' sockets (on Redis: another live instance); the tracker under test answers from `store`. */
async function measure(storeName: string, holder: SwarmStore, store: SwarmStore, size: number) {
  await fill(holder, size);
  const app = await buildTracker({ store, coordinationRequestsPerMinute: 1_000_000_000, maxPeersPerSwarm: 10_000_000 });
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const gap = 1000 / RATE;
  for (let n = 0; performance.now() - startedAt < SECONDS * 1000; n++) {
    const due = startedAt + n * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const peerId = id20(Math.floor(Math.random() * size));
    const t0 = performance.now();
    const response = await app.inject({ url: `/coordination?info_hash=${INFO_HASH}&peer_id=${peerId}` });
    latencies.push(performance.now() - t0);
    if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  await app.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
  const cpuMsPer1000 = ((cpu.user + cpu.system) / 1000 / latencies.length) * 1000;
  console.log(`| ${storeName} | ${size.toLocaleString('en')} | ${latencies.length} | ${q(0.5)} | ${q(0.99)} | ${q(1 - 1e-9)} | ${cpuMsPer1000.toFixed(0)} |`);
}

console.log(`Coordination answers, one swarm, ${RATE}/s for ${SECONDS} s per size (app.inject: no network)`);
console.log('| store | members | answers | p50 ms | p99 ms | max ms | CPU ms per 1,000 answers (tracker + load) |');
console.log('|---|---|---|---|---|---|---|');
for (const storeName of values.stores.split(',')) {
  for (const size of SIZES) {
    if (storeName === 'memory') {
      const store = new MemoryStore();
      await measure('memory', store, store, size);
      continue;
    }
    const redis = await startRedis();
    const connect = async () => {
      const client = createRedisClient({ url: redis.url, commandTimeoutMs: 5000 });
      await connectRedis(client);
      return RedisStore.connect(client, { keyPrefix: 'bench:', log: { info() {}, warn() {} } });
    };
    const holder = await connect();
    await holder.attach('bench');
    const store = await connect();
    try {
      await measure('redis', holder, store, size);
    } finally {
      await Promise.all([holder.close(), store.close()]);
      await redis.stop();
    }
  }
}

// What each node of a Redis Cluster holds and does, from INFO and its own keys: the scale bench
// shows how one stream's cells spread over the nodes.
import { Redis } from 'ioredis';

export interface NodeReading {
  /** host:port */
  node: string;
  pid: number;
  keys: number;
  usedMemoryBytes: number;
  /** Since the node started (INFO stats total_commands_processed): a window's is a difference. */
  commandsProcessed: number;
}

/** INFO's `field:value` lines. */
function infoFields(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export class ClusterNodes {
  private constructor(private readonly clients: Array<{ node: string; client: Redis }>) {}

  /** One plain connection per node (not a cluster client: each question is about that node alone). */
  static async connect(nodes: string[]): Promise<ClusterNodes> {
    const clients = nodes.map((node) => {
      const [host, port] = node.split(':');
      return { node, client: new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 }) };
    });
    const connected = new ClusterNodes(clients);
    try {
      await Promise.all(clients.map(({ client }) => client.connect()));
    } catch (error) {
      connected.close();
      throw error;
    }
    return connected;
  }

  read(): Promise<NodeReading[]> {
    return Promise.all(this.clients.map(async ({ node, client }) => {
      const fields = infoFields(await client.info('everything'));
      const number = (name: string) => Number(fields.get(name) ?? NaN);
      return {
        node,
        pid: number('process_id'),
        keys: Number(/keys=(\d+)/.exec(fields.get('db0') ?? '')?.[1] ?? 0),
        usedMemoryBytes: number('used_memory'),
        commandsProcessed: number('total_commands_processed'),
      };
    }));
  }

  /**
   * Live members of each store swarm of a stream, per node. A stream's cell k ≥ 1 is the swarm
   * `<info_hash>#k` (tracker/src/cells/cell-map.ts), so its keys' hash tag starts with the
   * stream's own hex, as its cell 0's is.
   */
  cellSizes(keyPrefix: string, infoHash: string): Promise<number[][]> {
    const pattern = `${keyPrefix}{${Buffer.from(infoHash, 'latin1').toString('hex')}*}:peers`;
    return Promise.all(this.clients.map(async ({ client }) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      // Membership is scored by expiry: what is past has left, even before it is trimmed.
      return Promise.all(keys.map((key) => client.zcount(key, `(${Date.now()}`, '+inf')));
    }));
  }

  close(): void {
    for (const { client } of this.clients) client.disconnect();
  }
}

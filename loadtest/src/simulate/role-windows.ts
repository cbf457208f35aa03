// A simulated viewer's HTTP window, decided by the player's own SeedingPlanner (the code the SDK
// ships): one planner per seeding role, each told its role by a stand-in tracker answer, asked for
// the plan of every simulated viewer of that role. Its clock is held at the answer's moment so the
// answer never goes stale, and its random draw is the one the simulator hands it, so a seeded run
// repeats.
import { SeedingPlanner, type PolicyOptions } from '@swarmcast/player-sdk/policy';
import { BACKUPS } from '@swarmcast/protocol/coordination';

export type RoleKind = 'seeder' | 'backup' | 'relay' | 'alone';

/** What the planner needs of a simulated viewer's playback at one moment. */
export interface PlanMoment {
  connected: boolean;
  recentStall: boolean;
  sinceStartSec: number;
  /** Uniform in [0, 1): the planner's stagger. */
  random: number;
}

const INFO_HASH = 'simulated-swarm-0000';
/** Not contacted: the planner's fetch is answered in-process. */
const TRACKER = 'ws://simulated.invalid';

export class RoleWindows {
  private constructor(
    private readonly planners: Map<string, SeedingPlanner>,
    private readonly draw: { value: number },
    private readonly segmentDuration: number,
  ) {}

  /** Starts one planner per role and waits for each to take its answer. */
  static async create(options: PolicyOptions, segmentDuration: number, randomBytes: (bytes: Uint8Array) => Uint8Array): Promise<RoleWindows> {
    const draw = { value: 0 };
    // Rank in a 3-member-plus swarm with one seeder: 0 seeds, 1..BACKUPS back up, then relays; alone: nobody else watches.
    const ranks: Array<[string, number, number]> = [['seeder', 0, 2 + BACKUPS], ...Array.from({ length: BACKUPS }, (_, order): [string, number, number] => [`backup${order}`, 1 + order, 2 + BACKUPS]), ['relay', 1 + BACKUPS, 2 + BACKUPS], ['alone', 0, 1]];
    const planners = new Map<string, SeedingPlanner>();
    await Promise.all(ranks.map(async ([name, rank, swarmSize]) => {
      let answered!: () => void;
      const answer = new Promise<void>((resolve) => (answered = resolve));
      const planner = new SeedingPlanner({
        options: { ...options, coordination: true },
        p2p: true,
        trackers: [TRACKER],
        fetch: async () => Response.json({ swarm_size: swarmSize, seeders: 1, rank, slot: 0, slot_ms: 20_000, next_slot_in_ms: 20_000 }),
        now: () => 0,
        random: () => draw.value,
        randomBytes,
        onAnswer: answered,
      });
      planner.follow(INFO_HASH);
      await answer;
      // One answer is all it needs: no poll may fire later and draw from the simulator's stream.
      planner.stop();
      planners.set(name, planner);
    }));
    return new RoleWindows(planners, draw, segmentDuration);
  }

  /** Seconds of buffer ahead of the playhead within which the viewer takes a segment over HTTP. */
  window(kind: RoleKind, backupOrder: number, moment: PlanMoment): number {
    const planner = this.planners.get(kind === 'backup' ? `backup${backupOrder}` : kind)!;
    this.draw.value = moment.random;
    const snapshot = { isLive: true, bufferAhead: 0, connectedPeers: moment.connected ? 1 : 0, recentStall: moment.recentStall, segmentDuration: this.segmentDuration, sinceStartSec: moment.sinceStartSec };
    return planner.plan(snapshot, INFO_HASH)!.highDemandTimeWindow;
  }

  /** How long a coordinated joiner takes nothing over HTTP after its first request, ms (the plan's httpDownloadInitialTimeoutMs). */
  joinWaitMs(): number {
    this.draw.value = 0;
    const snapshot = { isLive: true, bufferAhead: 0, connectedPeers: 0, recentStall: false, segmentDuration: this.segmentDuration, sinceStartSec: 0 };
    return this.planners.get('relay')!.plan(snapshot, INFO_HASH)!.httpDownloadInitialTimeoutMs;
  }

  /** The mesh budget a member reports (`budget_ms`), as the player computes it. */
  budgetMs(): number {
    const planner = this.planners.get('relay')!;
    this.window('relay', 0, { connected: true, recentStall: false, sinceStartSec: Infinity, random: 0 });
    return planner.report(INFO_HASH).budgetMs!;
  }
}

// A virtual viewer: one p2p-media-loader-core 2.3.1 peer in Node, driven the way its hls.js
// integration drives it, reporting what happens as JSON lines on stdout.
//
//   node --conditions=p2pml:core-as-bundle --conditions=swarmcast-source --import tsx p2pml-viewer.ts '<PeerOptions as JSON>'
//
// One peer per process: @roamhq/wrtc is not thread-safe, and the core keeps module state (one
// tracker socket, one peer id per swarm) that peers in one process would share.
// With `segments`, it loads them on command: {"cmd":"load","index":0} (moves the playhead to the
// segment's start, then loads it). With `live`, it plays the live stream by itself
// (live-playback.ts) and reports `live-stats` every `statsIntervalMs`. Either way {"cmd":"stats"}
// reports now and {"cmd":"exit"} — or closing stdin — exits.
// It opens WebRTC connections on every interface: run it where traffic can only reach loopback.
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { CoreConfig, DownloadSource, Segment } from 'p2p-media-loader-core';
import { defaultSwarmId, initialCoreConfig, levelStreamAttributes, SeedingPlanner, swarmInfoHash, type SwarmcastStats } from '@swarmcast/player-sdk/policy';
import { installBrowserGlobals } from './browser-globals.ts';
import { LivePlayback, type LivePlaybackOptions, type LiveStats, type OriginFetch, type TransferCounters } from './live-playback.ts';

export interface PeerOptions {
  trackers: string[];
  /** The manifest's URL: with the stream's level, it names the swarm (info_hash). */
  manifestUrl: string;
  /** Segments to load on command. */
  segments?: { url: string; startTime: number; endTime: number }[];
  /** A live rendition to play in real time under the policy (instead of `segments`). */
  live?: LivePlaybackOptions;
  core?: Partial<CoreConfig>;
}

export type PeerCommand = { cmd: 'load'; index: number } | { cmd: 'stats' } | { cmd: 'exit' };

export type PeerEvent =
  | { event: 'ready' }
  | { event: 'segment'; index: number; source: DownloadSource | undefined; bytes: number; sha256: string }
  | { event: 'segment-error'; index: number; reason: string }
  | { event: 'peer-connect'; peerId: string }
  | { event: 'peer-close'; peerId: string }
  | { event: 'peer-error'; peerId: string; message: string }
  | { event: 'tracker-error'; message: string }
  | { event: 'tracker-warning'; message: string }
  | { event: 'stats'; httpBytes: number; p2pBytes: number; uploadedBytes: number }
  /** `player`: a browser viewer's `player.stats()` the rest was made from (browser-viewer.ts). */
  | ({ event: 'live-stats'; player?: SwarmcastStats } & LiveStats)
  | ({ event: 'origin-fetch'; atMs: number } & OriginFetch)
  | { event: 'error'; message: string };

function emit(event: PeerEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runPeer(options: PeerOptions): Promise<void> {
  installBrowserGlobals();
  // Imported only now that the globals exist; the `p2pml:core-as-bundle` condition picks the
  // self-contained bundle (the default entry's `debug` import fails in Node's ESM loader).
  const { Core, generateStreamShortId } = await import('p2p-media-loader-core');

  let live: LivePlayback | undefined;
  // The player's own seeding decisions: whether to coordinate, this viewer's peer_id, role and plan.
  const planner = options.live
    ? new SeedingPlanner({
        options: options.live,
        p2p: !options.core?.isP2PDisabled,
        uploads: !options.core?.isP2PUploadDisabled,
        trackers: options.trackers,
        onAnswer: () => live?.replan(),
      })
    : undefined;
  const core = new Core({
    // A live viewer starts as Swarmcast's player does; the policy re-plans it every second.
    ...(options.live ? initialCoreConfig(options.live) : {}),
    ...(planner ? planner.coreIdentity(options.trackers) : { announceTrackers: options.trackers }),
    rtcConfig: { iceServers: [] },
    // Runs once per request that really leaves for the origin (not for bytes already held), so
    // the reasons reported add up to the origin's own request count. Returning nothing keeps the
    // core's own request.
    httpRequestSetup: async (url, _segmentRange, _signal, range) => {
      live?.originRequest(url, range);
      return undefined;
    },
    ...options.core,
  });
  core.setManifestResponseUrl(options.manifestUrl);
  const streamId = options.manifestUrl;
  const segments: Segment[] = (options.segments ?? []).map((segment, index) => ({
    runtimeId: segment.url,
    externalId: index,
    url: segment.url,
    startTime: segment.startTime,
    endTime: segment.endTime,
  }));
  if (options.segments) {
    core.addStreamIfNoneExists({ runtimeId: streamId, type: 'main', index: '0' });
    core.updateStream(streamId, segments);
  }

  // The live stream's swarm, as p2p-media-loader-hlsjs names it in the player.
  const streamIndex = options.live ? generateStreamShortId(levelStreamAttributes(options.live.level)) : undefined;
  const liveInfoHash = streamIndex === undefined ? undefined : swarmInfoHash(defaultSwarmId(options.manifestUrl), 'main', streamIndex);
  // onSegmentLoaded fires before the engine's callback resolves, so the source is known by then.
  const transfer: TransferCounters = { http: 0, p2p: 0, uploaded: 0, peers: 0, peerConnections: 0, sources: new Map<string, DownloadSource>() };
  core.addEventListener('onSegmentLoaded', ({ segmentUrl, downloadSource, bytesLength }) => {
    transfer.sources.set(segmentUrl, downloadSource);
    planner?.segmentLoaded(liveInfoHash, bytesLength);
  });
  core.addEventListener('onChunkDownloaded', (length, source) => {
    transfer[source] += length;
  });
  core.addEventListener('onChunkUploaded', (length, peerId) => {
    transfer.uploaded += length;
    planner?.uploaded(length, peerId);
  });
  core.addEventListener('onPeerConnect', ({ peerId }) => {
    transfer.peers++;
    transfer.peerConnections++;
    planner?.connectedPeers(transfer.peers);
    emit({ event: 'peer-connect', peerId });
  });
  core.addEventListener('onPeerClose', ({ peerId }) => {
    transfer.peers--;
    planner?.connectedPeers(transfer.peers);
    emit({ event: 'peer-close', peerId });
  });
  core.addEventListener('onPeerError', ({ peerId, error }) =>
    emit({ event: 'peer-error', peerId, message: message(error) }),
  );
  core.addEventListener('onTrackerError', ({ error }) => emit({ event: 'tracker-error', message: message(error) }));
  core.addEventListener('onTrackerWarning', ({ warning }) =>
    emit({ event: 'tracker-warning', message: message(warning) }),
  );

  function load(index: number): void {
    const segment = segments[index];
    if (segment === undefined) {
      emit({ event: 'segment-error', index, reason: 'no such segment' });
      return;
    }
    core.updatePlayback(segment.startTime, 1);
    core
      .loadSegment(segment.runtimeId, {
        onSuccess: ({ data }) => {
          const sha256 = createHash('sha256').update(new Uint8Array(data)).digest('hex');
          const source = transfer.sources.get(segment.url);
          emit({ event: 'segment', index, source, bytes: data.byteLength, sha256 });
        },
        onError: (error) => emit({ event: 'segment-error', index, reason: error.type }),
      })
      .catch((error: unknown) => emit({ event: 'segment-error', index, reason: message(error) }));
  }

  live = options.live && planner
    ? new LivePlayback(core, options.live, transfer, (fetch) => emit({ event: 'origin-fetch', atMs: Date.now(), ...fetch }), {
        planner,
        infoHash: liveInfoHash!,
        streamIndex: streamIndex!,
      })
    : undefined;

  function exit(): never {
    live?.stop();
    planner?.stop();
    core.destroy();
    process.exit(0);
  }

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line.trim() === '') return;
    let command: PeerCommand;
    try {
      command = JSON.parse(line) as PeerCommand;
    } catch {
      emit({ event: 'error', message: `not JSON: ${line}` });
      return;
    }
    switch (command.cmd) {
      case 'load':
        load(command.index);
        break;
      case 'stats':
        if (live) emit({ event: 'live-stats', ...live.stats() });
        else emit({ event: 'stats', httpBytes: transfer.http, p2pBytes: transfer.p2p, uploadedBytes: transfer.uploaded });
        break;
      case 'exit':
        exit();
    }
  });
  commands.on('close', exit);
  emit({ event: 'ready' });
  await live?.start((stats) => emit({ event: 'live-stats', ...stats }));
}

process.on('uncaughtException', (error) => emit({ event: 'error', message: message(error) }));
process.on('unhandledRejection', (error) => emit({ event: 'error', message: message(error) }));

const [optionsJson] = process.argv.slice(2);
if (optionsJson === undefined) {
  process.stderr.write("usage: node --conditions=p2pml:core-as-bundle --conditions=swarmcast-source --import tsx p2pml-viewer.ts '<PeerOptions JSON>'\n");
  process.exit(2);
}
await runPeer(JSON.parse(optionsJson) as PeerOptions);

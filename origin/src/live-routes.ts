import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { INTEGRITY_MANIFEST } from '@swarmcast/protocol/integrity';
import { ERROR_CACHE, type StreamCache } from './cache-control.ts';
import { contentTypeOf } from './content-type.ts';
import type { EgressMeter } from './egress.ts';
import { LiveTimeline } from './live-timeline.ts';
import { renderLivePlaylist } from './live-playlist.ts';
import type { LiveRendition, MediaStream } from './media-catalog.ts';
import { fileEntity, generatedEntity, sendEntity, sendNotFound } from './send-entity.ts';

/**
 * Sequences older than this many windows behind the edge are 404: no current playlist names
 * them, and it keeps the URL space of an endless stream bounded.
 */
export const LIVE_KEEP_WINDOWS = 3;

export interface LiveRouteOptions {
  streams: Map<string, MediaStream>;
  egress: EgressMeter;
  now: () => number;
  epochMs: number;
  windowSegments: number;
  cache: StreamCache;
}

interface LiveClock {
  rendition: LiveRendition;
  timeline: LiveTimeline;
}

const LIVE_SEGMENT_NAME = /^(0|[1-9]\d{0,14})(\.[A-Za-z0-9]+)$/;

/** `/live/<name>/…`: every loopable VOD stream, played as a never-ending live stream. */
export async function liveRoutes(app: FastifyInstance, options: LiveRouteOptions): Promise<void> {
  const { streams, egress, now, epochMs, windowSegments, cache } = options;
  const clocks = new Map<string, Map<string, LiveClock>>();
  for (const stream of streams.values()) {
    const renditions = new Map<string, LiveClock>();
    for (const rendition of stream.liveRenditions.values()) {
      const timeline = new LiveTimeline(rendition.segments.map((segment) => segment.durationMs), epochMs);
      renditions.set(rendition.name, { rendition, timeline });
    }
    clocks.set(stream.name, renditions);
  }

  /** The live stream, or null after answering 404 with the reason. */
  function liveStream(name: string, reply: FastifyReply): { stream: MediaStream; renditions: Map<string, LiveClock> } | null {
    const stream = streams.get(name);
    if (!stream) sendNotFound(reply, `no stream named ${name}`);
    else if (stream.liveMaster === null) sendNotFound(reply, `stream ${name} cannot be played live: ${stream.liveUnavailableReason}`);
    else return { stream, renditions: clocks.get(name)! };
    return null;
  }

  function oldestServable(last: number): number {
    return Math.max(0, last - LIVE_KEEP_WINDOWS * windowSegments + 1);
  }

  app.get<{ Params: { stream: string } }>('/live/:stream/master.m3u8', (request, reply) => {
    const live = liveStream(request.params.stream, reply);
    if (!live) return;
    const masterMtimeMs = live.stream.files.get('master.m3u8')!.mtimeMs;
    const entity = generatedEntity(live.stream.liveMaster!, contentTypeOf('master.m3u8'), cache.livePlaylist, masterMtimeMs);
    sendEntity(request, reply, entity, egress.channel({ stream: `live/${live.stream.name}`, rendition: '-', kind: 'playlist' }));
  });

  // Hashes for every URL that is servable now or becomes so within the next window, so a peer
  // fetching the manifest once per window can verify every segment it is offered.
  app.get<{ Params: { stream: string } }>(`/live/:stream/${INTEGRITY_MANIFEST}`, (request, reply) => {
    const live = liveStream(request.params.stream, reply);
    if (!live) return;
    const nowMs = now();
    const hashes: Record<string, string> = {};
    let edgeMs = epochMs;
    for (const { rendition, timeline } of live.renditions.values()) {
      const last = timeline.lastCompleteSequence(nowMs);
      if (last >= 0) {
        const edge = timeline.segment(last, last);
        edgeMs = Math.max(edgeMs, edge.startMs + edge.durationMs);
      }
      for (let sequence = oldestServable(last); sequence <= Math.max(last, -1) + windowSegments; sequence++) {
        const file = rendition.segments[timeline.indexOf(sequence)]!.file;
        hashes[`${rendition.name}/${sequence}${extname(file.relPath)}`] = file.sha256;
      }
    }
    const entity = generatedEntity(JSON.stringify(hashes), 'application/json; charset=utf-8', cache.livePlaylist, edgeMs);
    sendEntity(request, reply, entity, egress.channel({ stream: `live/${live.stream.name}`, rendition: '-', kind: 'manifest' }));
  });

  app.get<{ Params: { stream: string; rendition: string } }>('/live/:stream/:rendition/index.m3u8', (request, reply) => {
    const live = liveStream(request.params.stream, reply);
    if (!live) return;
    const clock = live.renditions.get(request.params.rendition);
    if (!clock) {
      sendNotFound(reply, `stream ${live.stream.name} has no rendition ${request.params.rendition}`);
      return;
    }
    const nowMs = now();
    const window = clock.timeline.window(nowMs, windowSegments);
    const edge = window.segments.at(-1);
    if (!edge) {
      const retryAfterSec = Math.ceil((clock.timeline.firstSegmentReadyMs - nowMs) / 1000);
      reply.code(503).header('retry-after', retryAfterSec).header('cache-control', ERROR_CACHE);
      reply.send({ statusCode: 503, error: 'Service Unavailable', message: `live stream ${live.stream.name} has no segment yet` });
      return;
    }
    const segments = clock.rendition.segments;
    const text = renderLivePlaylist(window, clock.rendition.targetDuration, (index) => extname(segments[index]!.file.relPath));
    const entity = generatedEntity(text, contentTypeOf('index.m3u8'), cache.livePlaylist, edge.startMs + edge.durationMs);
    sendEntity(request, reply, entity, egress.channel({ stream: `live/${live.stream.name}`, rendition: clock.rendition.name, kind: 'playlist' }));
  });

  app.get<{ Params: { stream: string; rendition: string; segment: string } }>('/live/:stream/:rendition/:segment', (request, reply) => {
    const live = liveStream(request.params.stream, reply);
    if (!live) return;
    const { rendition: renditionName, segment: segmentName } = request.params;
    const clock = live.renditions.get(renditionName);
    const match = LIVE_SEGMENT_NAME.exec(segmentName);
    if (!clock || !match) {
      sendNotFound(reply, `no live segment ${renditionName}/${segmentName} in stream ${live.stream.name}`);
      return;
    }
    const sequence = Number(match[1]);
    const last = clock.timeline.lastCompleteSequence(now());
    const file = clock.rendition.segments[clock.timeline.indexOf(sequence)]!.file;
    if (sequence > last || sequence < oldestServable(last) || extname(file.relPath) !== match[2]) {
      sendNotFound(reply, `live segment ${renditionName}/${segmentName} is not available (live edge is ${last})`);
      return;
    }
    sendEntity(request, reply, fileEntity(file, cache.segment), egress.channel({ stream: `live/${live.stream.name}`, rendition: renditionName, kind: 'segment' }));
  });
}

import type { FastifyInstance } from 'fastify';
import { INTEGRITY_MANIFEST } from '@swarmcast/protocol/integrity';
import type { StreamCache } from './cache-control.ts';
import type { EgressMeter } from './egress.ts';
import { integrityManifest } from './integrity-manifest.ts';
import type { MediaStream } from './media-catalog.ts';
import { fileEntity, generatedEntity, sendEntity, sendNotFound } from './send-entity.ts';

export interface VodRouteOptions {
  streams: Map<string, MediaStream>;
  egress: EgressMeter;
  cache: StreamCache;
}

/** `/vod/<name>/<path>`: any file indexed under the stream folder, plus its integrity manifest. */
export async function vodRoutes(app: FastifyInstance, { streams, egress, cache }: VodRouteOptions): Promise<void> {
  const manifests = new Map(
    [...streams.values()].map((stream) => {
      const newestSegmentMs = Math.max(0, ...[...stream.files.values()].map((file) => file.mtimeMs));
      return [stream.name, generatedEntity(JSON.stringify(integrityManifest(stream.files.values())), 'application/json; charset=utf-8', cache.vodPlaylist, newestSegmentMs)];
    }),
  );

  app.get<{ Params: { stream: string; '*': string } }>('/vod/:stream/*', (request, reply) => {
    const { stream: name, '*': path } = request.params;
    const stream = streams.get(name);
    if (!stream) {
      sendNotFound(reply, `no stream named ${name}`);
      return;
    }
    const label = `vod/${name}`;

    const manifest = path === INTEGRITY_MANIFEST ? manifests.get(name) : undefined;
    if (manifest) {
      sendEntity(request, reply, manifest, egress.channel({ stream: label, rendition: '-', kind: 'manifest' }));
      return;
    }

    const file = stream.files.get(path);
    if (!file) {
      sendNotFound(reply, `no file ${path} in stream ${name}`);
      return;
    }
    const cacheControl = file.kind === 'segment' ? cache.segment : cache.vodPlaylist;
    sendEntity(request, reply, fileEntity(file, cacheControl), egress.channel({ stream: label, rendition: file.rendition, kind: file.kind }));
  });
}

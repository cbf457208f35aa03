import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decideRange } from './byte-range.ts';
import { isNotModified, rangeStillValid, type Validators } from './conditional-request.ts';
import { ERROR_CACHE } from './cache-control.ts';
import type { EgressChannel } from './egress.ts';
import type { MediaFile } from './media-catalog.ts';
import { contentTypeOf } from './content-type.ts';

/** A response body with its metadata: a file streamed from disk, or bytes generated in memory. */
export interface Entity extends Validators {
  contentType: string;
  cacheControl: string;
  size: number;
  body: { path: string } | Buffer;
}

export function fileEntity(file: MediaFile, cacheControl: string): Entity {
  return {
    contentType: contentTypeOf(file.relPath),
    cacheControl,
    size: file.size,
    etag: `"${file.sha256.slice(0, 32)}"`,
    lastModifiedMs: file.mtimeMs,
    body: { path: file.absPath },
  };
}

export function generatedEntity(text: string, contentType: string, cacheControl: string, lastModifiedMs: number): Entity {
  const body = Buffer.from(text);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  return { contentType, cacheControl, size: body.length, etag, lastModifiedMs, body };
}

export function sendNotFound(reply: FastifyReply, message: string): void {
  reply.code(404).header('cache-control', ERROR_CACHE).send({ statusCode: 404, error: 'Not Found', message });
}

/**
 * Answers GET/HEAD for an entity with conditional requests and single byte ranges, writing the
 * raw response itself so that the egress channel counts exactly the body bytes whose socket
 * write completed: a cut-off download counts what went out, not what was planned.
 * Headers already set on the reply (CORS) are kept.
 */
export function sendEntity(request: FastifyRequest, reply: FastifyReply, entity: Entity, egress: EgressChannel): void {
  const headers: OutgoingHttpHeaders = {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': entity.contentType,
    'cache-control': entity.cacheControl,
    etag: entity.etag,
    'last-modified': new Date(entity.lastModifiedMs).toUTCString(),
    'accept-ranges': 'bytes',
  };
  reply.hijack();
  const res = reply.raw;
  egress.request();

  if (isNotModified(request.headers, entity)) {
    res.writeHead(304, headers).end();
    return;
  }
  const range = rangeStillValid(request.headers, entity) ? decideRange(request.headers.range, entity.size) : { type: 'full' as const };
  if (range.type === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${entity.size}`, 'content-length': 0 }).end();
    return;
  }
  const [start, end] = range.type === 'partial' ? [range.start, range.end] : [0, entity.size - 1];
  if (range.type === 'partial') headers['content-range'] = `bytes ${start}-${end}/${entity.size}`;
  headers['content-length'] = end - start + 1;
  res.writeHead(range.type === 'partial' ? 206 : 200, headers);

  if (request.method === 'HEAD' || end < start) {
    res.end();
    return;
  }
  const write = countingWriter(res, egress);
  if (Buffer.isBuffer(entity.body)) {
    write(entity.body.subarray(start, end + 1));
    res.end();
  } else {
    streamFile(request, res, entity.body.path, start, end, write);
  }
}

/**
 * A `res.write` that counts a chunk once the socket has taken it (its write callback), and on
 * 'finish' (everything flushed) any chunk not confirmed yet: light-my-request's `inject`
 * finishes before it runs write callbacks. A response closed before 'finish' was aborted; only
 * its confirmed writes count.
 */
function countingWriter(res: ServerResponse, egress: EgressChannel): (chunk: Buffer) => boolean {
  let handed = 0;
  let counted = 0;
  let finished = false;
  res.once('finish', () => {
    finished = true;
    egress.sent(handed - counted);
  });
  res.once('close', () => {
    if (!finished) egress.aborted();
  });
  return (chunk) => {
    handed += chunk.length;
    return res.write(chunk, (error) => {
      if (error || finished) return;
      counted += chunk.length;
      egress.sent(chunk.length);
    });
  };
}

function streamFile(request: FastifyRequest, res: ServerResponse, path: string, start: number, end: number, write: (chunk: Buffer) => boolean): void {
  const file = createReadStream(path, { start, end });
  file.on('data', (chunk) => {
    if (!write(chunk as Buffer)) file.pause();
  });
  res.on('drain', () => file.resume());
  file.once('end', () => res.end());
  file.once('error', (error) => {
    request.log.error({ err: error, path }, 'reading a media file failed mid-response');
    res.destroy(error);
  });
  res.once('close', () => file.destroy());
}

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
    body: file.bytes ?? { path: file.absPath },
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
  const body = countingBody(res, egress);
  if (Buffer.isBuffer(entity.body)) {
    // Views, not copies; slicing bounds what an abort can leave uncounted to one write.
    const bytes = entity.body.subarray(start, end + 1);
    let offset = 0;
    for (; bytes.length - offset > WRITE_CHUNK_BYTES; offset += WRITE_CHUNK_BYTES) body.write(bytes.subarray(offset, offset + WRITE_CHUNK_BYTES));
    body.end(bytes.subarray(offset));
  } else {
    streamFile(request, res, entity.body.path, start, end, body);
  }
}

/** Same as fs read streams' chunks, so memory and disk bodies are counted alike. */
const WRITE_CHUNK_BYTES = 64 * 1024;

interface CountingBody {
  /** Returns false when the response buffer is full, like `res.write`. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): void;
}

/**
 * Writes a body and counts a chunk once the socket has taken it (its write callback), and on
 * 'finish' (everything flushed) whatever is not confirmed yet: the final chunk, and every chunk
 * under light-my-request's `inject`, which finishes before it runs write callbacks. A response
 * closed before 'finish' was aborted; only its confirmed writes count.
 */
function countingBody(res: ServerResponse, egress: EgressChannel): CountingBody {
  let handed = 0;
  let counted = 0;
  let finished = false;
  res.once('finish', () => {
    finished = true;
    if (handed > counted) egress.sent(handed - counted);
  });
  res.once('close', () => {
    if (!finished) egress.aborted();
  });
  return {
    write(chunk) {
      handed += chunk.length;
      return res.write(chunk, (error) => {
        if (error || finished) return;
        counted += chunk.length;
        egress.sent(chunk.length);
      });
    },
    end(chunk) {
      if (chunk) handed += chunk.length;
      res.end(chunk);
    },
  };
}

function streamFile(request: FastifyRequest, res: ServerResponse, path: string, start: number, end: number, body: CountingBody): void {
  const file = createReadStream(path, { start, end, highWaterMark: WRITE_CHUNK_BYTES });
  file.on('data', (chunk) => {
    if (!body.write(chunk as Buffer)) file.pause();
  });
  res.on('drain', () => file.resume());
  file.once('end', () => body.end());
  file.once('error', (error) => {
    request.log.error({ err: error, path }, 'reading a media file failed mid-response');
    res.destroy(error);
  });
  res.once('close', () => file.destroy());
}

import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEVELOPMENT_ASSET_CACHE } from './cache-control.ts';
import { contentTypeOf } from './content-type.ts';

export interface DemoRouteOptions {
  demoPage: string;
  sdkBundle: string;
}

const PLACEHOLDER_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Swarmcast origin</title>
<h1>Swarmcast origin</h1>
<p>The demo page is not built yet (build the player-sdk package).
Streams are listed at <a href="/health">/health</a>, egress at <a href="/stats">/stats</a>.</p>
`;

/**
 * The demo page at `/` and the SDK bundle at `/sdk/swarmcast.min.js`, read on every request
 * because the player-sdk build may run (again) while the origin is up.
 */
export async function demoRoutes(app: FastifyInstance, { demoPage, sdkBundle }: DemoRouteOptions): Promise<void> {
  app.get('/', async (_request, reply) => {
    const page = await readIfPresent(demoPage);
    return sendAsset(reply, demoPage, page ?? PLACEHOLDER_PAGE);
  });

  app.get('/sdk/swarmcast.min.js', async (_request, reply) => {
    const bundle = await readIfPresent(sdkBundle);
    if (bundle === null) {
      reply.code(404).header('cache-control', 'no-store');
      return { statusCode: 404, error: 'Not Found', message: `the player SDK bundle is not built (expected at ${sdkBundle})` };
    }
    return sendAsset(reply, sdkBundle, bundle);
  });
}

function sendAsset(reply: FastifyReply, path: string, body: Buffer | string): FastifyReply {
  return reply.header('content-type', contentTypeOf(path)).header('cache-control', DEVELOPMENT_ASSET_CACHE).send(body);
}

async function readIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

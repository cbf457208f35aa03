// How the tracker and the origin start from their settings and stop: one shape for both mains.
import { ConfigError } from './settings.ts';

/** What a main builds: a Fastify-like server and where it listens. */
export interface ServiceStart {
  server: {
    close(): Promise<unknown>;
    listen(options: { port: number; host: string; listenTextResolver: (address: string) => string }): Promise<unknown>;
  };
  port: number;
  host: string;
  /** The line logged once per address the server listens at. */
  listeningText(address: string): string;
}

/**
 * Builds a service, stops it cleanly on SIGINT / SIGTERM, then listens. A failure exits 1 with one
 * line: `configuration error: …` for bad settings, else what `explain` says (or the error itself).
 */
export async function runService(
  build: () => Promise<ServiceStart> | ServiceStart,
  explain: (error: unknown) => string | undefined = () => undefined,
): Promise<void> {
  try {
    const { server, port, host, listeningText } = await build();
    const shutdown = () => {
      server.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await server.listen({ port, host, listenTextResolver: listeningText });
  } catch (error) {
    if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
    else console.error(explain(error) ?? error);
    process.exit(1);
  }
}

// How the tracker and the origin start from their settings and stop: one shape for both mains.
import { ConfigError } from './settings.ts';

export interface ServiceStart {
  service: { close(): Promise<unknown> };
  listen(): Promise<unknown>;
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
    const { service, listen } = await build();
    const shutdown = () => {
      service.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await listen();
  } catch (error) {
    if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
    else console.error(explain(error) ?? error);
    process.exit(1);
  }
}

// The progress bar shown while a scenario runs (on a terminal only: cli-progress writes nothing
// when stderr is not a TTY, so test logs and CI stay clean).
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** `elapsedSec` of the planned total, with a short status line. */
  update(elapsedSec: number, status: string): void;
  stop(): void;
}

export function startProgress(scenario: string, totalSec: number): Progress {
  const bar = new SingleBar({
    format: `${scenario} [{bar}] {value}/{total} s | {status}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(Math.ceil(totalSec), 0, { status: 'starting' });
  return {
    update(elapsedSec, status) {
      bar.update(Math.min(Math.floor(elapsedSec), Math.ceil(totalSec)), { status });
    },
    stop() {
      bar.stop();
    },
  };
}

// Preloaded (`node --import`) into a tracker that a test or bench measures memory in (see
// startTrackerProcess's `heapProbe`), ours and the bench's reference alike, without touching the
// tracker's code: on request it collects garbage and reports the heap, so a reading means what the
// process retains, not garbage V8 has not got round to collecting; it ends the tracker when its
// parent goes away, even one killed without a chance to clean up.
import { getHeapSpaceStatistics } from 'node:v8';

/** A request to a probed process, over the IPC channel. */
export interface ProbeRequest {
  type: 'gc';
}

/** The probe's reply to a {@link ProbeRequest}: the heap right after collecting. */
export interface HeapReading {
  type: 'gc-done';
  memory: NodeJS.MemoryUsage;
  /** Memory the young generation holds: V8 grows it with the allocation rate, whatever is retained. */
  youngGenerationBytes: number;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;
// A reading without a collection would measure garbage: refuse to start rather than mislead.
if (!collectGarbage) throw new Error('the heap probe needs node --expose-gc');

if (process.send) {
  process.on('message', (request: ProbeRequest) => {
    if (request.type !== 'gc') return;
    // Two passes: the first may only queue finalizers whose memory the second frees.
    collectGarbage();
    collectGarbage();
    const youngGenerationBytes = getHeapSpaceStatistics()
      .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
      .reduce((total, space) => total + space.physical_space_size, 0);
    process.send?.({ type: 'gc-done', memory: process.memoryUsage(), youngGenerationBytes } satisfies HeapReading);
  });
  process.on('disconnect', () => process.exit(0));
  // The tracker's own server keeps the process alive; the channel must not.
  process.channel?.unref();
}

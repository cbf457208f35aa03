// Preloaded (`node --import`) into every tracker the bench starts, ours and the reference alike,
// so both are treated the same without touching the tracker's code: on request it collects
// garbage before a memory reading and reports the heap; it ends the tracker when the bench goes
// away, even if the bench was killed without a chance to clean up.
import { getHeapSpaceStatistics } from 'node:v8';

/** A request from the bench to a tracker child, over the IPC channel. */
export interface ProbeRequest {
  type: 'gc';
}

/** The probe's reply to a {@link ProbeRequest}: the heap right after collecting. */
export interface ProbeReply {
  type: 'gc-done';
  memory: NodeJS.MemoryUsage;
  /** Memory the young generation holds: V8 grows it with the allocation rate, whatever is retained. */
  youngGenerationBytes: number;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (request: ProbeRequest) => {
    if (request.type !== 'gc') return;
    // Two passes: the first may only queue finalizers whose memory the second frees.
    collectGarbage?.();
    collectGarbage?.();
    const youngGenerationBytes = getHeapSpaceStatistics()
      .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
      .reduce((total, space) => total + space.physical_space_size, 0);
    process.send?.({ type: 'gc-done', memory: process.memoryUsage(), youngGenerationBytes } satisfies ProbeReply);
  });
  process.on('disconnect', () => process.exit(0));
  // The tracker's own server keeps the process alive; the channel must not.
  process.channel?.unref();
}

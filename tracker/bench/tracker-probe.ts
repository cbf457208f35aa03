// Preloaded (`node --import`) into every tracker the bench starts, ours and the reference alike,
// so both are treated the same without touching the tracker's code: it collects garbage on
// request before a memory reading (and reports the heap), and ends the tracker when the bench goes away, even if the
// bench was killed without a chance to clean up.

/** A request from the bench to a tracker child, over the IPC channel. */
export interface ProbeRequest {
  type: 'gc';
}

/** The probe's reply to a {@link ProbeRequest}: the heap right after collecting. */
export interface ProbeReply {
  type: 'gc-done';
  memory: NodeJS.MemoryUsage;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (request: ProbeRequest) => {
    if (request.type !== 'gc') return;
    // Two passes: the first may only queue finalizers whose memory the second frees.
    collectGarbage?.();
    collectGarbage?.();
    process.send?.({ type: 'gc-done', memory: process.memoryUsage() } satisfies ProbeReply);
  });
  process.on('disconnect', () => process.exit(0));
  // The tracker's own server keeps the process alive; the channel must not.
  process.channel?.unref();
}

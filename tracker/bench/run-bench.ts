/** How a tracker benchmark runs as a command: its processes stop with it, and its exit code says whether it finished. */

/** Runs `main`, exiting 0 when it is done, 1 (with the reason) when it fails, 130 on a signal. */
export function runBench(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Exiting kills every child (the testkit's process registry hooks 'exit').
    process.on(signal, () => process.exit(130));
  }
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

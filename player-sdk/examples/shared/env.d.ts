/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The HLS playlist the example plays (a `?src=` query overrides it). */
  readonly VITE_SWARMCAST_SRC?: string;
  /** The tracker's WebSocket URL (a `?tracker=` query overrides it). */
  readonly VITE_SWARMCAST_TRACKER?: string;
}

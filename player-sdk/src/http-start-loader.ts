/**
 * hls.js's fragment loader with a way around p2p-media-loader: the segments the session names
 * ({@link loadsFirstSegmentOverHttp}: a joiner's first) go to hls.js's own loader, straight to the
 * origin, the way p2p-media-loader-hlsjs itself hands over a segment its core does not know.
 * Everything else goes through p2p-media-loader's loader unchanged.
 */
import type { FragmentLoaderConstructor, FragmentLoaderContext, HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';

export function httpStartLoader(P2PLoader: FragmentLoaderConstructor, overHttp: (context: FragmentLoaderContext) => boolean): FragmentLoaderConstructor {
  return class HttpStartLoader implements Loader<FragmentLoaderContext> {
    readonly #config: HlsConfig;
    readonly #p2p: Loader<FragmentLoaderContext>;
    #http: Loader<LoaderContext> | null = null;

    constructor(config: HlsConfig) {
      this.#config = config;
      this.#p2p = new P2PLoader(config);
    }

    // hls.js holds on to this object (frag.stats) before load(): both paths fill the same one.
    get stats(): LoaderStats {
      return this.#p2p.stats;
    }

    get context(): FragmentLoaderContext | null {
      return (this.#http?.context as FragmentLoaderContext | undefined) ?? this.#p2p.context;
    }

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      if (!overHttp(context)) {
        this.#p2p.load(context, config, callbacks);
        return;
      }
      const http = new this.#config.loader(this.#config);
      http.stats = this.#p2p.stats;
      this.#http = http;
      http.load(context, config, callbacks as LoaderCallbacks<LoaderContext>);
    }

    abort(): void {
      (this.#http ?? this.#p2p).abort();
    }

    destroy(): void {
      this.#http?.destroy();
      this.#p2p.destroy();
    }
  };
}

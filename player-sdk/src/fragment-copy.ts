/**
 * p2p-media-loader hands hls.js the very ArrayBuffer it keeps to upload to peers, and hls.js's
 * transmuxing worker takes a segment as a transferable, which detaches it: with the worker on (the
 * default of the UMD `hls.js` a page loads with a <script>, p2p-media-loader users' usual setup)
 * every segment a peer then received from this viewer failed the integrity check, and the peer
 * was banned (test/dropin.test.ts). hls.js gets a copy; one segment copy per load is cheap.
 * The ESM builds of hls.js start no worker, which is why createPlayer never met this.
 */
import type { FragmentLoaderConstructor, FragmentLoaderContext, HlsConfig, LoaderCallbacks, LoaderConfiguration } from 'hls.js';

export function copyingFragmentLoader(FragmentLoader: FragmentLoaderConstructor): FragmentLoaderConstructor {
  return class CopyingFragmentLoader extends (FragmentLoader as new (config: HlsConfig) => InstanceType<FragmentLoaderConstructor>) {
    override load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      super.load(context, config, {
        ...callbacks,
        onSuccess: (response, stats, loaded, details) =>
          callbacks.onSuccess({ ...response, data: response.data instanceof ArrayBuffer ? response.data.slice(0) : response.data }, stats, loaded, details),
      });
    }
  };
}

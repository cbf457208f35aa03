/** p2p-media-loader-core's `src/utils/hash.ts`, which the build aliases to this name: the 20 digest bytes as a binary string. */
declare module 'p2pml-core-sha1' {
  export function sha1(text: string): string;
}

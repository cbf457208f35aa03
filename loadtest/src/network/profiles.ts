// What access link each virtual viewer of an event gets: `lan` is today's unshaped loopback; the
// other profiles draw a per-viewer uplink and downlink from weighted tiers taken from published
// measurements. Only bandwidth is modelled: these kernels have no netem, so there is no added
// delay or loss, and queueing in the shaper is the only latency a link adds.

export const NETWORK_NAMES = ['lan', 'residential', 'mobile'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

/** Rates in kbit/s (1 kbit = 1000 bit, as `tc` counts them). */
export interface LinkShape {
  uplinkKbit: number;
  downlinkKbit: number;
}

export interface LinkTier extends LinkShape {
  name: string;
  /** Share of viewers, in percent; a profile's shares add up to 100. */
  share: number;
}

export interface NetworkProfile {
  summary: string;
  source: string;
  /** Empty for `lan`: no shaping and no namespaces at all. */
  tiers: readonly LinkTier[];
}

// Faster plans exist (gigabit cable and fibre), but one 2-core machine cannot move more than about
// this per viewer anyway, and shaping above what the machine delivers measures the machine.
const MAX_SHAPED_KBIT = 100_000;
/** The rate given to a direction nobody asked to limit (1 Gbit/s): far above any rendition, so in effect unshaped. */
export const UNLIMITED_KBIT = 1_000_000;

export const NETWORK_PROFILES: Record<NetworkName, NetworkProfile> = {
  lan: {
    summary: 'unshaped: every viewer on loopback, as without --network',
    source: 'none (no model)',
    tiers: [],
  },
  residential: {
    summary: 'home broadband: a mix of copper, cable and fibre lines; uploads mostly a tenth of downloads, fibre symmetric',
    source:
      'Ofcom, UK Home Broadband Performance (Sept 2023, data of March 2023): median 69.4 Mbit/s down, 18.4 up; ' +
      'line mix after ISPreview\'s summary of it (2-3 M ADSL lines, 15.6 M FTTC, the rest cable and full fibre); ' +
      'FTTC rates are Openreach\'s 40/10 and 80/20 products. Cable and fibre uploads after Ookla Speedtest ' +
      'Intelligence US medians, Q4 2022 (cable ISPs 10.7-20.4 Mbit/s up, fibre ISPs 105-143 Mbit/s up). ' +
      `Downlinks capped at ${MAX_SHAPED_KBIT / 1000} Mbit/s.`,
    tiers: [
      { name: 'ADSL2+', share: 10, downlinkKbit: 10_000, uplinkKbit: 1_000 },
      { name: 'FTTC 40/10', share: 20, downlinkKbit: 40_000, uplinkKbit: 10_000 },
      { name: 'FTTC 80/20', share: 30, downlinkKbit: 80_000, uplinkKbit: 20_000 },
      { name: 'cable (DOCSIS)', share: 25, downlinkKbit: MAX_SHAPED_KBIT, uplinkKbit: 15_000 },
      { name: 'full fibre', share: 15, downlinkKbit: MAX_SHAPED_KBIT, uplinkKbit: MAX_SHAPED_KBIT },
    ],
  },
  mobile: {
    summary: '4G/LTE phones: mostly 5-40 Mbit/s down and 5-10 up, with 15 % of viewers at a weak or congested cell',
    source:
      'Opensignal, The State of LTE (Nov 2017): global average 4G download 16.6 Mbit/s. Ookla Speedtest ' +
      'Intelligence US, Q2 2023: 79-86 % of mobile results reach 5 Mbit/s down and 1 Mbit/s up (the rest ' +
      'is the weak tier); US mobile median end of 2022 78.9 Mbit/s down, 9.3 up (5G included, hence only the ' +
      `top tier reaches it). Downlinks capped at ${MAX_SHAPED_KBIT / 1000} Mbit/s.`,
    tiers: [
      { name: 'weak or congested cell', share: 15, downlinkKbit: 3_000, uplinkKbit: 500 },
      { name: 'LTE', share: 45, downlinkKbit: 15_000, uplinkKbit: 5_000 },
      { name: 'LTE, carrier aggregation', share: 30, downlinkKbit: 40_000, uplinkKbit: 10_000 },
      { name: 'LTE-Advanced / 5G NSA', share: 10, downlinkKbit: MAX_SHAPED_KBIT, uplinkKbit: 20_000 },
    ],
  },
};

/**
 * One viewer's link: a tier chosen with probability proportional to its share, by one call of
 * `random` (uniform in [0, 1), e.g. Math.random or a seeded generator for reproducible runs).
 * Null for `lan`: leave the viewer unshaped on loopback.
 */
export function drawLink(network: NetworkName, random: () => number): LinkShape | null {
  const { tiers } = NETWORK_PROFILES[network];
  const last = tiers.at(-1);
  if (last === undefined) return null;
  let point = random() * tiers.reduce((sum, tier) => sum + tier.share, 0);
  for (const tier of tiers) {
    if (point < tier.share) return { uplinkKbit: tier.uplinkKbit, downlinkKbit: tier.downlinkKbit };
    point -= tier.share;
  }
  // Only rounding in the subtractions above can leave a point past the last share.
  return { uplinkKbit: last.uplinkKbit, downlinkKbit: last.downlinkKbit };
}

/** `<number>kbit` or `<number>mbit` (case-insensitive, 1 mbit = 1000 kbit, as in tc) → kbit/s. */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(kbit|mbit)$/i.exec(text.trim());
  if (!match) throw new Error(`rate "${text}": expected a number and a unit, kbit or mbit (e.g. 500kbit, 2mbit, 1.5mbit)`);
  const kbit = Math.round(Number(match[1]) * (match[2]?.toLowerCase() === 'mbit' ? 1000 : 1));
  if (kbit < 1) throw new Error(`rate "${text}": must be at least 1kbit`);
  return kbit;
}

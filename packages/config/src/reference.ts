/** The README's reference of a service's variables, written from its settings so the two cannot drift. */
import type { Setting, Settings } from './settings.ts';

function defaultCell(setting: Setting<unknown>): string {
  if (setting.docDefault !== undefined) return setting.docDefault;
  const value = setting.default;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return 'unset';
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

/** The `| variable | default | meaning |` table, one row per setting in table order. */
export function referenceTable(settings: Settings): string {
  const rows = Object.values(settings).map((setting) => `| \`${setting.env}\` | ${defaultCell(setting)} | ${setting.doc} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

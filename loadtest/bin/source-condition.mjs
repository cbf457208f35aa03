// A module resolve hook: workspace packages resolve to their TypeScript sources, as under
// `node --conditions=swarmcast-source`, however node was started (`node bin/…`, npx, the shebang).
const SOURCE_CONDITION = 'swarmcast-source';

export function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes(SOURCE_CONDITION) ? context.conditions : [...context.conditions, SOURCE_CONDITION];
  return nextResolve(specifier, { ...context, conditions });
}

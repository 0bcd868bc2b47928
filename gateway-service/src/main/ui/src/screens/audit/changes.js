// The registry's changes in words: their kinds (RegistryChangeKind and the CloudEvent type each is
// published with) and a line or two on what each changed, read from its state before and after.

const PREFIX = 'dev.skein.registry.';

export const KINDS = [
  ['REGISTERED_MODEL_CREATED', 'registered_model.created', 'Model created'],
  ['REGISTERED_MODEL_RENAMED', 'registered_model.renamed', 'Model renamed'],
  ['REGISTERED_MODEL_UPDATED', 'registered_model.updated', 'Model description changed'],
  ['REGISTERED_MODEL_DELETED', 'registered_model.deleted', 'Model deleted'],
  ['REGISTERED_MODEL_TAG_SET', 'registered_model_tag.set', 'Model tag set'],
  ['REGISTERED_MODEL_TAG_DELETED', 'registered_model_tag.deleted', 'Model tag deleted'],
  ['MODEL_VERSION_CREATED', 'model_version.created', 'Version created'],
  ['MODEL_VERSION_UPDATED', 'model_version.updated', 'Version description changed'],
  ['MODEL_VERSION_DELETED', 'model_version.deleted', 'Version deleted'],
  ['MODEL_VERSION_STAGE_TRANSITIONED', 'model_version.stage_transitioned', 'Version stage changed'],
  ['MODEL_VERSION_TAG_SET', 'model_version_tag.set', 'Version tag set'],
  ['MODEL_VERSION_TAG_DELETED', 'model_version_tag.deleted', 'Version tag deleted'],
  ['MODEL_VERSION_ALIAS_SET', 'model_version_alias.set', 'Alias set'],
  ['MODEL_VERSION_ALIAS_DELETED', 'model_version_alias.deleted', 'Alias deleted'],
].map(([kind, short, label]) => ({ kind, type: `${PREFIX}${short}.v1`, label }));

const BY_KIND = Object.fromEntries(KINDS.map((k) => [k.kind, k]));

/** The kind of an event in words (its enum name when this UI does not know it yet). */
export function kindLabel(event) {
  const kind = event.change?.kind;
  return BY_KIND[kind]?.label || kind || event.type;
}

const quoted = (text) => (text ? `“${text}”` : 'none');

/** What an event changed, in a few lines; empty when the recorded states say nothing more. */

/** A tag's value in a snapshot of a model or version ({tags: {key: value}}); undefined when absent. */
function tagOf(snapshot, key) {
  return snapshot.tags && Object.hasOwn(snapshot.tags, key) ? snapshot.tags[key] : undefined;
}

/** " (was "v")" when the snapshot before the change had the tag. */
function was(before, key) {
  const value = tagOf(before, key);
  return value === undefined ? '' : ` (was ${quoted(value)})`;
}

export function describe(event) {
  const c = event.change || {};
  const mb = c.model_before || {};
  const ma = c.model_after || {};
  const vb = c.version_before || {};
  const va = c.version_after || {};
  switch (c.kind) {
    case 'REGISTERED_MODEL_CREATED':
      return ma.description ? [`Description ${quoted(ma.description)}`] : [];
    case 'REGISTERED_MODEL_RENAMED':
      return [`Name ${quoted(mb.name)} → ${quoted(ma.name)}`];
    case 'REGISTERED_MODEL_UPDATED':
      return [`Description ${quoted(mb.description)} → ${quoted(ma.description)}`];
    case 'REGISTERED_MODEL_TAG_SET':
      return [`Tag ${c.key} = ${quoted(tagOf(ma, c.key))}${was(mb, c.key)}`];
    case 'REGISTERED_MODEL_TAG_DELETED':
      return [`Tag ${c.key} removed${was(mb, c.key)}`];
    case 'MODEL_VERSION_CREATED':
      return [`Source ${va.source || 'none'}`].concat(va.run_id ? [`Run ${va.run_id}`] : []);
    case 'MODEL_VERSION_UPDATED':
      return [`Description ${quoted(vb.description)} → ${quoted(va.description)}`];
    case 'MODEL_VERSION_STAGE_TRANSITIONED':
      return [`Stage ${vb.current_stage || 'None'} → ${va.current_stage || 'None'}`];
    case 'MODEL_VERSION_TAG_SET':
      return [`Tag ${c.key} = ${quoted(tagOf(va, c.key))}${was(vb, c.key)}`];
    case 'MODEL_VERSION_TAG_DELETED':
      return [`Tag ${c.key} removed${was(vb, c.key)}`];
    case 'MODEL_VERSION_ALIAS_SET': {
      const was = mb.aliases?.[c.alias];
      return [`@${c.alias} → version ${ma.aliases?.[c.alias] || c.version}${was && was !== c.version ? ` (was version ${was})` : ''}`];
    }
    case 'MODEL_VERSION_ALIAS_DELETED':
      return [`@${c.alias} removed${mb.aliases?.[c.alias] ? ` (was on version ${mb.aliases[c.alias]})` : ''}`];
    default:
      return [];
  }
}

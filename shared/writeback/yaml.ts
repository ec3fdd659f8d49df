/**
 * Drift adoption's write-back: the live values of a drifted resource written into its declaration file, so a
 * legitimate hot-fix becomes Git. Pure (no I/O, no AWS SDK): the file text in, the new file text out.
 *
 * The changes come from the planner in canonical form (shared/plan/normalize.ts), where lists with a natural key are
 * maps keyed by it (`/spec/taskDefinition/containerDefinitions/web/environment/LOG_LEVEL`). Writing back maps each
 * canonical path onto the YAML document: a keyed map segment is the list item whose key (computed exactly as
 * normalize.ts computes it) matches; a value absent live deletes the field or the item; a new keyed item is appended
 * to its list; a canonical subtree written whole is turned back into the declaration's shape (keyed maps become
 * lists again). Everything else in the file (comments, key order, flow or block style, other documents) is kept,
 * through the `yaml` package's Document API.
 *
 * Never writes a value the planner masked: a masked value is not the live value, and a secret never goes to Git.
 */
import { type Document, isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { WriteBackError } from '../errors.ts';
import type { FieldChange } from '../plan/diff.ts';
import { MASKED_VALUE } from '../plan/mask.ts';
import type { Json, JsonObject } from '../plan/normalize.ts';
import type { Declaration } from '../spec/repository.ts';

type Item = Record<string, unknown>;

/** A list the canonical form keys: how an item's key is computed, and how a canonical (key, value) becomes an item. */
interface KeyedList {
  readonly keyOf: (item: Item) => string;
  readonly toItem: (key: string, value: Json) => Json;
  /** Set when the canonical value is one field of the item (environment's value, a tag's value). */
  readonly valueField?: string;
}

const byField =
  (field: string): KeyedList['keyOf'] =>
  (item) =>
    String(item[field]);
/** The canonical value is the whole item (it carries its key field). */
const whole: KeyedList['toItem'] = (_key, value) => value;
/** The canonical value is one field of the item, beside its key field. */
const valueOnly = (keyField: string, valueField: string): Pick<KeyedList, 'toItem' | 'valueField'> => ({
  toItem: (key, value) => ({ [keyField]: key, [valueField]: value }),
  valueField,
});

function portMappingKey(mapping: Item): string {
  return `${mapping.containerPort ?? mapping.containerPortRange}/${mapping.protocol ?? 'tcp'}`;
}

/** Mirrors normalize.ts: every list of an EcsService it turns into a map, by the path of the map ('*' for a map key
 * above it). A CloudFormationStack declares its parameters and tags as maps already: nothing to turn back. */
const KEYED_LISTS: Readonly<Record<string, KeyedList>> = {
  'spec/capacityProviderStrategy': {
    keyOf: byField('capacityProvider'),
    toItem: (key, value) => ({ capacityProvider: key, ...(isObject(value) ? value : {}) }),
  },
  'spec/loadBalancers': {
    keyOf: (lb) => `${lb.targetGroupArn ?? lb.loadBalancerName}|${lb.containerName}|${lb.containerPort}`,
    toItem: whole,
  },
  'spec/serviceRegistries': { keyOf: byField('registryArn'), toItem: whole },
  'spec/serviceConnectConfiguration/services': { keyOf: byField('portName'), toItem: whole },
  'spec/tags': { keyOf: byField('key'), ...valueOnly('key', 'value') },
  'spec/taskDefinition/containerDefinitions': { keyOf: byField('name'), toItem: whole },
  'spec/taskDefinition/containerDefinitions/*/portMappings': { keyOf: portMappingKey, toItem: whole },
  'spec/taskDefinition/containerDefinitions/*/environment': {
    keyOf: byField('name'),
    ...valueOnly('name', 'value'),
  },
  'spec/taskDefinition/containerDefinitions/*/secrets': {
    keyOf: byField('name'),
    ...valueOnly('name', 'valueFrom'),
  },
  'spec/taskDefinition/containerDefinitions/*/mountPoints': {
    keyOf: (mount) => `${mount.sourceVolume}:${mount.containerPath}`,
    toItem: whole,
  },
  'spec/taskDefinition/containerDefinitions/*/volumesFrom': { keyOf: byField('sourceContainer'), toItem: whole },
  'spec/taskDefinition/containerDefinitions/*/ulimits': { keyOf: byField('name'), toItem: whole },
  'spec/taskDefinition/containerDefinitions/*/dependsOn': {
    keyOf: byField('containerName'),
    ...valueOnly('containerName', 'condition'),
  },
  'spec/taskDefinition/containerDefinitions/*/extraHosts': {
    keyOf: byField('hostname'),
    ...valueOnly('hostname', 'ipAddress'),
  },
  'spec/taskDefinition/containerDefinitions/*/systemControls': {
    keyOf: byField('namespace'),
    ...valueOnly('namespace', 'value'),
  },
  'spec/taskDefinition/containerDefinitions/*/resourceRequirements': {
    keyOf: byField('type'),
    ...valueOnly('type', 'value'),
  },
  'spec/taskDefinition/containerDefinitions/*/logConfiguration/secretOptions': {
    keyOf: byField('name'),
    ...valueOnly('name', 'valueFrom'),
  },
  'spec/taskDefinition/containerDefinitions/*/linuxParameters/tmpfs': {
    keyOf: byField('containerPath'),
    toItem: whole,
  },
  'spec/taskDefinition/volumes': { keyOf: byField('name'), toItem: whole },
  'spec/taskDefinition/proxyConfiguration/properties': { keyOf: byField('name'), ...valueOnly('name', 'value') },
  'spec/taskDefinition/tags': { keyOf: byField('key'), ...valueOnly('key', 'value') },
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function containsMask(value: Json | undefined): boolean {
  if (value === MASKED_VALUE) return true;
  if (Array.isArray(value)) return value.some(containsMask);
  if (isObject(value)) return Object.values(value).some(containsMask);
  return false;
}

/** The changes whose live value the planner masked: adopting them would write a mask (or a secret) into Git. */
export function maskedChanges(changes: readonly FieldChange[]): FieldChange[] {
  return changes.filter((change) => containsMask(change.before));
}

/** A canonical value turned back into the declaration's shape: keyed maps under `pattern` become lists. */
export function toDeclarationShape(pattern: readonly string[], value: Json, kind = 'EcsService'): Json {
  const keyed = keyedListAt(kind, pattern);
  if (keyed && isObject(value)) {
    return Object.entries(value).map(([key, child]) =>
      keyed.toItem(key, toDeclarationShape([...pattern, '*'], child, kind)),
    );
  }
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, toDeclarationShape([...pattern, key], child, kind)]),
    );
  }
  return value;
}

function keyedListAt(kind: string, pattern: readonly string[]): KeyedList | undefined {
  return kind === 'EcsService' ? KEYED_LISTS[pattern.join('/')] : undefined;
}

/** The index of the YAML document that holds `line` (1-based) in a file of several documents. */
export function documentIndexAt(text: string, line: number): number {
  const lineCounter = new LineCounter();
  // The file was read by the linear reader already (duplicate keys refused there): the yaml package's own check of
  // each key against every earlier one would make this quadratic in a mapping's size.
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const offset = lineCounter.lineStarts[line - 1] ?? text.length;
  const holding = documents.findIndex(({ range: [start, , end] }) => offset >= start && offset < end);
  if (holding >= 0) return holding;
  // A document's range starts after its leading comments: the last one starting at or before the line holds it.
  return Math.max(
    0,
    documents.findLastIndex(({ range: [start] }) => start <= offset),
  );
}

/** The files an adoption proposes: the declaration with the live values written in, and for a stack whose
 * template drifted, the live template body in the template file. */
export function adoptionFiles(input: {
  readonly declaration: Declaration;
  /** The declaration file's text at the commit the plan was made from. */
  readonly text: string;
  readonly changes: readonly FieldChange[];
  /** A stack's live template body (GetTemplate), needed when the template drifted. */
  readonly liveTemplateBody?: string;
}): { path: string; content: string }[] {
  const { declaration, changes } = input;
  const templateChanges = changes.filter(
    (change) => change.path === '/spec/template' || change.path.startsWith('/spec/template/'),
  );
  const specChanges = changes.filter((change) => !templateChanges.includes(change));
  const files: { path: string; content: string }[] = [];
  if (specChanges.length > 0) {
    const index = documentIndexAt(input.text, declaration.location.line);
    files.push({ path: declaration.location.file, content: writeBack(input.text, index, specChanges) });
  }
  if (templateChanges.length > 0) {
    const masked = maskedChanges(templateChanges);
    if (masked.length > 0) {
      throw new WriteBackError(
        `the live value of ${masked.map((change) => change.path).join(', ')} is masked (secret-looking); it is never written to Git`,
      );
    }
    if (declaration.kind !== 'CloudFormationStack' || input.liveTemplateBody === undefined) {
      throw new WriteBackError('the template drifted but the live template body was not read');
    }
    files.push({ path: declaration.template.path, content: input.liveTemplateBody });
  }
  return files;
}

/**
 * `text` with the live values of `changes` written into its `documentIndex`th YAML document. Each change's
 * `before` is the live value in canonical form (absent: not set live, so removed from the declaration). Throws
 * WriteBackError for a masked value, or a path that cannot be mapped onto the declaration.
 */
export function writeBack(text: string, documentIndex: number, changes: readonly FieldChange[]): string {
  const masked = maskedChanges(changes);
  if (masked.length > 0) {
    throw new WriteBackError(
      `the live value of ${masked.map((change) => change.path).join(', ')} is masked (secret-looking); it is never written to Git`,
    );
  }
  const parsed = parseAllDocuments(text, { uniqueKeys: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const document = documents[documentIndex];
  if (!document || document.errors.length > 0) {
    throw new WriteBackError(`document ${documentIndex} of the file cannot be read as YAML`);
  }
  const baseline = documents.map((each) => each.toString(STRINGIFY)).join('');
  const kind = String(document.get('kind') ?? '');
  // Items are found by their key for every change, never by a remembered index: order does not matter.
  for (const change of changes) applyChange(document, change, kind);
  return keepFormatting(documents.map((each) => each.toString(STRINGIFY)).join(''), baseline, text);
}

const STRINGIFY = { lineWidth: 0 } as const;

/**
 * The yaml package writes `[a, b]` as `[ a, b ]` whatever the source said (one padding option for every flow
 * collection). Lines the write-back did not touch are put back as the file had them: each line of the re-stringified
 * original maps to the original line at the same position, when the two have as many lines.
 */
function keepFormatting(written: string, baseline: string, text: string): string {
  const baselineLines = baseline.split('\n');
  const originalLines = text.split('\n');
  if (baselineLines.length !== originalLines.length) return written;
  const asWritten = new Map<string, string>();
  baselineLines.forEach((line, index) => {
    if (!asWritten.has(line)) asWritten.set(line, originalLines[index]!);
  });
  return written
    .split('\n')
    .map((line) => asWritten.get(line) ?? line)
    .join('\n');
}

function applyChange(document: Document, change: FieldChange, kind: string): void {
  const segments = change.path.split('/').slice(1).map(unescapeSegment);
  if (segments.length === 0 || segments[0] !== 'spec') {
    throw new WriteBackError(`${change.path} is not a path into the declaration's spec`);
  }
  const yamlPath: (string | number)[] = [];
  const pattern: string[] = [];
  for (const [position, segment] of segments.entries()) {
    const last = position === segments.length - 1;
    const keyed = keyedListAt(kind, pattern);
    if (keyed) {
      const list = document.getIn(yamlPath, true);
      const items = isSeq(list) ? list.items : [];
      const index = items.findIndex((item) => {
        const value: unknown = isMap(item) ? item.toJSON() : item;
        return isObject(value) && keyed.keyOf(value) === segment;
      });
      if (last) {
        if (change.before === undefined) {
          if (index >= 0) document.deleteIn([...yamlPath, index]);
        } else if (index >= 0 && keyed.valueField) {
          document.setIn([...yamlPath, index, keyed.valueField], change.before);
        } else {
          const node = document.createNode(
            keyed.toItem(segment, toDeclarationShape([...pattern, '*'], change.before, kind)),
          );
          // Written the way its neighbours are: a flow `{ name: X, value: y }` among flow items.
          const neighbour = items[index >= 0 ? index : items.length - 1];
          if (isMap(node) && isMap(neighbour) && neighbour.flow) node.flow = true;
          if (index >= 0) document.setIn([...yamlPath, index], node);
          else if (isSeq(list)) list.add(node);
          else document.setIn(yamlPath, document.createNode([node]));
        }
        return;
      }
      if (index < 0) {
        throw new WriteBackError(`${change.path}: the declaration has no item ${segment} to change`);
      }
      yamlPath.push(index);
      pattern.push('*');
      continue;
    }
    yamlPath.push(segment);
    pattern.push(segment);
    if (!last) continue;
    if (change.before === undefined) {
      // Termination protection off live reads as absent in canonical form: written as false, it says so in Git.
      if (change.path === '/spec/terminationProtection') document.setIn(yamlPath, false);
      else if (document.hasIn(yamlPath)) document.deleteIn(yamlPath);
    } else {
      document.setIn(yamlPath, document.createNode(toDeclarationShape(pattern, change.before, kind)));
    }
  }
}

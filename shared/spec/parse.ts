/** Parses one declaration file (YAML or JSON, one or more documents) into typed documents, or into diagnostics
 * that point at the exact line and column. Pure: no I/O, never throws on any input text. */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  stringify,
  visit,
  type YAMLMap,
} from 'yaml';
import type { z } from 'zod';
import { type Diagnostic, diagnostic, type SourceLocation } from './diagnostics.ts';
import { formatCount, INPUT_LIMITS, type InputLimits } from './limits.ts';
import { plainScalarSourceAt } from './scalars.ts';
import {
  type AnyDocument,
  API_VERSION,
  type CloudFormationStackDocument,
  documentSchemas,
  type EcsServiceDocument,
  KINDS,
  type Kind,
  type SettingsDocument,
} from './schema.ts';
import { nearest } from './suggest.ts';
import { readYaml } from './yaml-reader.ts';

export type PathSegment = string | number;
/** Finds where a path inside a document is written; falls back to the nearest enclosing node that exists. */
export type Locator = (path: readonly PathSegment[], options?: { key?: boolean }) => SourceLocation;

interface ParsedBase {
  readonly location: SourceLocation;
  readonly locate: Locator;
  /** The text of the unquoted scalar at a path as written, for values YAML reads differently (0123 as 123). */
  readonly plainSource?: (path: readonly PathSegment[]) => string | undefined;
}
export type ParsedDocument =
  | (ParsedBase & { readonly kind: 'Settings'; readonly document: SettingsDocument })
  | (ParsedBase & { readonly kind: 'EcsService'; readonly document: EcsServiceDocument })
  | (ParsedBase & { readonly kind: 'CloudFormationStack'; readonly document: CloudFormationStackDocument });

export interface ParsedFile {
  readonly file: string;
  readonly documents: ParsedDocument[];
  /** Errors and warnings; a document with an error is not in `documents`. */
  readonly diagnostics: Diagnostic[];
  /** `spec.template` as written in every CloudFormationStack document, valid or not: a file a stack names is its
   * template even while the stack has an error, so one mistake is reported once. */
  readonly namedTemplates: string[];
  /** Lets the documents' syntax trees go until something is located again (then the text is read once more): for a
   * caller that keeps the parsed file long after checking it. */
  readonly releaseSyntaxTrees?: () => void;
}

/** Parses one file; never throws. Limits are INPUT_LIMITS unless a test narrows them. */
export function parseDeclarationFile(file: string, text: string, limits: InputLimits = INPUT_LIMITS): ParsedFile {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const namedTemplates: string[] = [];
  const trees: { release: () => void }[] = [];
  const releaseSyntaxTrees = () => {
    for (const tree of trees) tree.release();
  };
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  const read = readYaml(text, { limits, lineCounter });
  if (read.fault) {
    const { code, offset, message } = read.fault;
    return { file, documents, diagnostics: [diagnostic(code, at(offset), message)], namedTemplates };
  }
  let declarationCount = 0;
  for (const [index, { document: yamlDocument, empty, value, fault }] of read.documents.entries()) {
    if (fault) {
      // After the first fault the parser's view of the rest is guesswork; its later complaints are noise.
      diagnostics.push(diagnostic(fault.code, at(fault.offset), fault.message));
      continue;
    }
    // A bare `---` (a trailing one, or one before only comments) is an empty document, not a bad declaration.
    if (empty) continue;
    declarationCount++;
    const template =
      isPlainObject(value) && value.kind === 'CloudFormationStack' && isPlainObject(value.spec)
        ? value.spec.template
        : undefined;
    if (typeof template === 'string') namedTemplates.push(template);
    // The same text reads to the same documents, so the index finds this one again.
    const tree = syntaxTree(yamlDocument, () => readYaml(text, { limits }).documents[index]!.document);
    trees.push(tree);
    const parsed = parseDocument(
      yamlDocument,
      value,
      (path, options) => locateIn(tree.get(), path, at, options?.key ?? false),
      at,
      tree.get,
    );
    diagnostics.push(...parsed.diagnostics);
    if (parsed.document) documents.push(parsed.document);
  }
  if (declarationCount === 0 && diagnostics.length === 0) {
    // An emptied file is more likely a mistake than a way to delete what it declared: deleting the file says that.
    diagnostics.push(
      diagnostic(
        'E_SCHEMA',
        { file, line: 1, column: 1 },
        'the file holds no declaration: write one (apiVersion, kind, metadata, spec) or delete the file',
      ),
    );
  }
  return { file, documents, diagnostics, namedTemplates, releaseSyntaxTrees };
}

/** The document's syntax tree, read again from the text once released: a parsed document outlives its file's check
 * in the parse cache of a warm process (shared/spec/declaration-files.ts), a tree costs twenty times its text, and
 * locating something after the checks is rare (a duplicate, a reference that does not resolve). */
function syntaxTree(document: Document, reread: () => Document): { get: () => Document; release: () => void } {
  let held: Document | undefined = document;
  return {
    get: () => {
      held ??= reread();
      return held;
    },
    release: () => {
      held = undefined;
    },
  };
}

function parseDocument(
  yamlDocument: Document,
  value: unknown,
  locate: Locator,
  at: (offset: number) => SourceLocation,
  tree: () => Document,
): { document?: ParsedDocument; diagnostics: Diagnostic[] } {
  const start = at(yamlDocument.contents?.range?.[0] ?? 0);
  // JavaScript objects cannot hold a "__proto__" key faithfully; it would vanish instead of being checked.
  const reserved: Diagnostic[] = [];
  visit(yamlDocument, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '__proto__') {
        reserved.push(diagnostic('E_SCHEMA', at(pair.key.range?.[0] ?? 0), 'the key "__proto__" is not allowed'));
      }
    },
  });
  if (reserved.length > 0) return { diagnostics: reserved };
  if (!isPlainObject(value)) {
    return {
      diagnostics: [
        diagnostic('E_SCHEMA', start, 'a declaration is a mapping with apiVersion, kind, metadata and spec'),
      ],
    };
  }
  if (value.apiVersion !== API_VERSION) {
    const message =
      value.apiVersion === undefined
        ? `apiVersion is missing: add "apiVersion: ${API_VERSION}"${missingApiVersionHint(value)}`
        : `apiVersion ${shown(value.apiVersion)} is not supported: use "${API_VERSION}"`;
    return { diagnostics: [diagnostic('E_SCHEMA', locate(['apiVersion']), message)] };
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    const guess = typeof kind === 'string' ? nearest(kind, KINDS) : undefined;
    const message =
      kind === undefined
        ? `kind is missing: one of ${KINDS.join(', ')}${misspelling(value, 'kind')}`
        : `unknown kind ${shown(kind)}${guess ? `; did you mean "${guess}"?` : `: one of ${KINDS.join(', ')}`}`;
    return { diagnostics: [diagnostic('E_SCHEMA', locate(['kind']), message)] };
  }
  const schema = documentSchemas[kind as Kind];
  const result = schema.safeParse(value);
  if (!result.success) {
    return { diagnostics: result.error.issues.flatMap((issue) => schemaDiagnostics(issue, schema, locate, value)) };
  }
  return {
    document: {
      kind,
      document: result.data,
      location: start,
      locate,
      plainSource: (path: readonly PathSegment[]) => plainScalarSourceAt(tree(), path),
    } as ParsedDocument,
    diagnostics: [],
  };
}

function schemaDiagnostics(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  locate: Locator,
  value: unknown,
  prefix: readonly PathSegment[] = [],
): Diagnostic[] {
  const path = [...prefix, ...issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol')];
  if (issue.code === 'invalid_union') {
    // Report the problems of the alternative the input was meant to be (the one whose type it has), not "Invalid input".
    const candidates = issue.errors.filter(
      (issues) => !(issues.length === 1 && issues[0]?.code === 'invalid_type' && issues[0].path.length === 0),
    );
    if (candidates.length === 1) {
      return candidates[0]!.flatMap((inner) => schemaDiagnostics(inner, schema, locate, value, path));
    }
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const present = new Set(Object.keys(valueAt(value, path) ?? {}));
    const known = knownKeysAt(schema, path).filter((candidate) => !present.has(candidate));
    const guess = nearest(key, known);
    const where = path.length > 0 ? ` in ${dotted(path)}` : '';
    const others = issue.keys.length > 1 ? ` (and ${namedKeys(issue.keys.slice(1))})` : '';
    const hint = guess ? `; did you mean "${guess}"?` : known.length > 0 ? `; known keys: ${known.join(', ')}` : '';
    return [
      diagnostic(
        'E_SCHEMA',
        locate([...path, key], { key: true }),
        `unknown key ${shown(key)}${others}${where}${hint}`,
      ),
    ];
  }
  const field = path.length > 0 ? `${dotted(path)}: ` : '';
  return [diagnostic('E_SCHEMA', locate(path), `${field}${humanMessage(issue)}`)];
}

/** Why a required top-level key may be missing: it is there, misspelt. */
function misspelling(value: Record<string, unknown>, expected: string): string {
  const misspelt = Object.keys(value).find((key) => key !== expected && nearest(key, [expected]) === expected);
  return misspelt === undefined ? '' : ` (is ${shown(misspelt)} a misspelling of it?)`;
}

/** Why apiVersion may be missing: a misspelt key, or a CloudFormation template no stack names. */
function missingApiVersionHint(value: Record<string, unknown>): string {
  const misspelt = misspelling(value, 'apiVersion');
  if (misspelt !== '') return misspelt;
  if ('Resources' in value || 'AWSTemplateFormatVersion' in value) {
    return '; or, if this is a CloudFormation template, name it in the spec.template of a CloudFormationStack';
  }
  return '';
}

/** A value as a message quotes it: in full when short, else its start (a message is read, not a copy of the file). */
function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > MAX_SHOWN) {
    return `${JSON.stringify(value.slice(0, MAX_SHOWN)).slice(0, -1)}…" (${formatCount(value.length)} characters)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${formatCount(text.length)} characters)` : text;
}
const MAX_SHOWN = 80;

/** The first few of many keys, then how many more: thousands of unknown keys are one mistake, not a list to read. */
function namedKeys(keys: readonly string[]): string {
  const named = keys.slice(0, MAX_NAMED_KEYS).map(shown).join(', ');
  return keys.length > MAX_NAMED_KEYS ? `${named} and ${formatCount(keys.length - MAX_NAMED_KEYS)} more` : named;
}
const MAX_NAMED_KEYS = 5;

function valueAt(value: unknown, path: readonly PathSegment[]): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return isPlainObject(current) ? current : undefined;
}

function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'is required';
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

export function dotted(path: readonly PathSegment[]): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The keys a strict object in `schema` accepts at `path`, for "did you mean" hints. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const found = walk(schema as unknown as ZodLike, path);
  const shape = found ? unwrap(found)._zod.def.shape : undefined;
  return shape ? Object.keys(shape) : [];
}

interface ZodLike {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, ZodLike>;
      element?: ZodLike;
      innerType?: ZodLike;
      in?: ZodLike;
      options?: ZodLike[];
      valueType?: ZodLike;
    };
  };
}

function unwrap(schema: ZodLike): ZodLike {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function walk(schema: ZodLike, path: readonly PathSegment[]): ZodLike | undefined {
  const current = unwrap(schema);
  const def = current._zod.def;
  if (path.length === 0 && def.type !== 'union') return current;
  const [head, ...rest] = path;
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const found = walk(option, path);
      if (found && unwrap(found)._zod.def.shape) return found;
    }
    return undefined;
  }
  if (def.type === 'object' && def.shape && typeof head === 'string') {
    const child = def.shape[head];
    return child ? walk(child, rest) : undefined;
  }
  if (def.type === 'array' && def.element) return walk(def.element, rest);
  if (def.type === 'record' && def.valueType) return walk(def.valueType, rest);
  return undefined;
}

/** Pairs of each mapping by key, built on the first look: one diagnostic per key of a large mapping would otherwise
 * search the mapping once each (quadratic). */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairAt(map: YAMLMap, segment: PathSegment): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (!isScalar(item.key)) continue;
      const key = String(item.key.value);
      if (!index.has(key)) index.set(key, item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(String(segment));
}

function locateIn(
  yamlDocument: Document,
  path: readonly PathSegment[],
  at: (offset: number) => SourceLocation,
  preferKey: boolean,
): SourceLocation {
  let node: unknown = yamlDocument.contents;
  let best: Node | null = (yamlDocument.contents as Node | null) ?? null;
  let lastKey: Node | null = null;
  let resolved = true;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairAt(node, segment);
      if (!pair) {
        resolved = false;
        break;
      }
      lastKey = pair.key as Node;
      node = pair.value;
      best = (pair.value as Node | null) ?? lastKey;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!item) {
        resolved = false;
        break;
      }
      lastKey = null;
      node = item;
      best = item as Node;
    } else {
      resolved = false;
      break;
    }
  }
  // Point at the key ("image:") unless the path ends on a scalar value written on that line anyway.
  const target = resolved && !preferKey && (isScalar(best) || lastKey === null) ? best : (lastKey ?? best);
  return at(target?.range?.[0] ?? 0);
}

/** Writes a declaration back as YAML; parseDeclarationFile(print(d)) yields d again. */
export function printDocument(document: AnyDocument): string {
  return stringify(document, { lineWidth: 0 });
}

/** Parses one declaration file (YAML or JSON, one or more documents) into typed documents, or into diagnostics
 * that point at the exact line and column. Pure: no I/O, never throws on any input text. */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, stringify } from 'yaml';
import type { z } from 'zod';
import { type Diagnostic, diagnostic, type SourceLocation } from './diagnostics.ts';
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

export type PathSegment = string | number;
/** Finds where a path inside a document is written; falls back to the nearest enclosing node that exists. */
export type Locator = (path: readonly PathSegment[], options?: { key?: boolean }) => SourceLocation;

interface ParsedBase {
  readonly location: SourceLocation;
  readonly locate: Locator;
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
}

/** Aliases can expand exponentially ("billion laughs"); declarations never need many. */
const MAX_ALIAS_COUNT = 100;

export function parseDeclarationFile(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  const yamlDocuments = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(yamlDocuments) ? yamlDocuments : [];
  let declarationCount = 0;
  for (const yamlDocument of list) {
    const problems = [...yamlDocument.errors, ...yamlDocument.warnings];
    if (problems.length > 0) {
      for (const problem of problems) {
        diagnostics.push(diagnostic('E_YAML', at(problem.pos[0]), yamlMessage(problem.code, problem.message)));
      }
      continue;
    }
    if (yamlDocument.contents === null) continue;
    declarationCount++;
    const parsed = parseDocument(
      yamlDocument,
      (path, options) => locateIn(yamlDocument, path, at, options?.key ?? false),
      at,
    );
    diagnostics.push(...parsed.diagnostics);
    if (parsed.document) documents.push(parsed.document);
  }
  if (declarationCount === 0 && diagnostics.length === 0) {
    diagnostics.push(diagnostic('W_EMPTY', { file, line: 1, column: 1 }, 'the file holds no declaration'));
  }
  return { file, documents, diagnostics };
}

function yamlMessage(code: string, message: string): string {
  // The yaml package's messages are good but begin with its own code; keep one sentence a person can act on.
  const firstLine = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY')
    return `duplicate key: ${firstLine.replace(/^Map keys must be unique.*?$/, 'map keys must be unique')}`;
  if (code === 'TAG_RESOLVE_FAILED' || firstLine.startsWith('Unresolved tag'))
    return `${firstLine} (custom YAML tags are not part of the declaration format)`;
  return firstLine;
}

function parseDocument(
  yamlDocument: Document,
  locate: Locator,
  at: (offset: number) => SourceLocation,
): { document?: ParsedDocument; diagnostics: Diagnostic[] } {
  const start = at(yamlDocument.contents?.range?.[0] ?? 0);
  let value: unknown;
  try {
    value = yamlDocument.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return { diagnostics: [diagnostic('E_YAML', start, `cannot read the document: ${(error as Error).message}`)] };
  }
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
        ? `apiVersion is missing: add "apiVersion: ${API_VERSION}"`
        : `apiVersion ${JSON.stringify(value.apiVersion)} is not supported: use "${API_VERSION}"`;
    return { diagnostics: [diagnostic('E_SCHEMA', locate(['apiVersion']), message)] };
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    const guess = typeof kind === 'string' ? nearest(kind, KINDS) : undefined;
    const message =
      kind === undefined
        ? `kind is missing: one of ${KINDS.join(', ')}`
        : `unknown kind ${JSON.stringify(kind)}${guess ? `; did you mean "${guess}"?` : `: one of ${KINDS.join(', ')}`}`;
    return { diagnostics: [diagnostic('E_SCHEMA', locate(['kind']), message)] };
  }
  const schema = documentSchemas[kind as Kind];
  const result = schema.safeParse(value);
  if (!result.success) {
    return { diagnostics: result.error.issues.map((issue) => schemaDiagnostic(issue, schema, locate)) };
  }
  return {
    document: { kind, document: result.data, location: start, locate } as ParsedDocument,
    diagnostics: [],
  };
}

function schemaDiagnostic(issue: z.core.$ZodIssue, schema: z.ZodType, locate: Locator): Diagnostic {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = knownKeysAt(schema, path);
    const guess = nearest(key, known);
    const where = path.length > 0 ? ` in ${dotted(path)}` : '';
    const others =
      issue.keys.length > 1
        ? ` (and ${issue.keys
            .slice(1)
            .map((k) => `"${k}"`)
            .join(', ')})`
        : '';
    const hint = guess ? `; did you mean "${guess}"?` : known.length > 0 ? `; known keys: ${known.join(', ')}` : '';
    return diagnostic(
      'E_SCHEMA',
      locate([...path, key], { key: true }),
      `unknown key "${key}"${others}${where}${hint}`,
    );
  }
  const field = path.length > 0 ? `${dotted(path)}: ` : '';
  return diagnostic('E_SCHEMA', locate(path), `${field}${humanMessage(issue)}`);
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
  if (path.length === 0) return current;
  const [head, ...rest] = path;
  const def = current._zod.def;
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
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
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

/** Parses one declaration file (YAML or JSON, one or more documents) into typed documents, or into diagnostics
 * that point at the exact line and column. Pure: no I/O, never throws on any input text. */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  stringify,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { type Diagnostic, diagnostic, type SourceLocation } from './diagnostics.ts';
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
      // After the first syntax error the parser's view of the rest is guesswork; its later complaints are noise.
      const first = problems[0]!;
      diagnostics.push(diagnostic('E_YAML', at(faultOffset(text, first)), yamlMessage(first)));
      continue;
    }
    // A bare `---` (a trailing one, or one before only comments) is an empty document, not a bad declaration.
    const contents = yamlDocument.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
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

/**
 * The yaml package reports some faults where it noticed them, not where they are: an unclosed quote or bracket at
 * the end of what follows, an over-indented line at the value above it. Moves the offset to the line to fix.
 */
export function faultOffset(
  text: string,
  problem: { code: string; message: string; pos: readonly [number, number] },
): number {
  const { code, pos } = problem;
  const [start, end] = pos;
  if (code === 'MULTILINE_IMPLICIT_KEY') return Math.max(start, end - 1);
  if (code === 'BLOCK_AS_IMPLICIT_KEY') {
    const nextLine = text.indexOf('\n', start);
    return nextLine === -1 ? start : nextLine + 1;
  }
  if (code === 'MISSING_CHAR') {
    const quote = /quote/i.test(problem.message) ? lastUnclosedQuote(text, start) : undefined;
    if (quote !== undefined) return quote;
  }
  if (/end with an? [\]}]/.test(problem.message)) {
    const opener = lastUnclosedBracket(text, start);
    if (opener !== undefined) return opener;
  }
  // Reported past the end: the fault is in the last thing written.
  let offset = Math.min(start, text.length);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (start >= text.length && text.slice(lineStart, offset).trim() === '' && offset > 0) {
    offset = lineStart - 1;
    while (offset > 0 && /\s/.test(text[offset] ?? '')) offset--;
  }
  return Math.max(0, offset);
}

function lastUnclosedBracket(text: string, before: number): number | undefined {
  const closers: string[] = [];
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    const char = text[i];
    if (char === ']' || char === '}') closers.push(char);
    else if (char === '[' || char === '{') {
      const expected = char === '[' ? ']' : '}';
      if (closers.at(-1) === expected) closers.pop();
      else return i;
    }
  }
  return undefined;
}

function lastUnclosedQuote(text: string, before: number): number | undefined {
  const lineStart = (offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    const char = text[i];
    if (char !== '"' && char !== "'") continue;
    // An opening quote has an odd number of that quote character before it on its own line.
    const onLine = text.slice(lineStart(i), i).split(char).length - 1;
    if (onLine % 2 === 0) return i;
  }
  return undefined;
}

function yamlMessage(problem: { code: string; message: string }): string {
  // The yaml package's messages are good but may run over several lines; keep one sentence a person can act on.
  const firstLine = problem.message.split('\n')[0] ?? problem.message;
  switch (problem.code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: map keys must be unique';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'this line is indented deeper than the keys beside it; align it with its sibling keys';
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed as indentation in YAML; indent with spaces';
    default:
      if (firstLine.startsWith('Unresolved tag')) {
        return `${firstLine} (custom YAML tags are not part of the declaration format)`;
      }
      return firstLine;
  }
}

function parseDocument(
  yamlDocument: Document,
  locate: Locator,
  at: (offset: number) => SourceLocation,
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
    return { diagnostics: result.error.issues.flatMap((issue) => schemaDiagnostics(issue, schema, locate, value)) };
  }
  return {
    document: {
      kind,
      document: result.data,
      location: start,
      locate,
      plainSource: (path: readonly PathSegment[]) => plainScalarSourceAt(yamlDocument, path),
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
    const others =
      issue.keys.length > 1
        ? ` (and ${issue.keys
            .slice(1)
            .map((k) => `"${k}"`)
            .join(', ')})`
        : '';
    const hint = guess ? `; did you mean "${guess}"?` : known.length > 0 ? `; known keys: ${known.join(', ')}` : '';
    return [
      diagnostic('E_SCHEMA', locate([...path, key], { key: true }), `unknown key "${key}"${others}${where}${hint}`),
    ];
  }
  const field = path.length > 0 ? `${dotted(path)}: ` : '';
  return [diagnostic('E_SCHEMA', locate(path), `${field}${humanMessage(issue)}`)];
}

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

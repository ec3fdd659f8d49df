/** Reads YAML or JSON text into documents and plain data in time linear in the text and within INPUT_LIMITS:
 * nesting and the document count are measured while the text is tokenized, before anything recurses, and every
 * other limit, duplicate keys included, is checked in one pass over each document. Pure; never throws. */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  type LineCounter,
  type Node,
  Parser,
  type SchemaOptions,
} from 'yaml';
import { formatCount, type InputLimits } from './limits.ts';

export interface YamlFault {
  readonly code: 'E_YAML' | 'E_LIMIT';
  /** Where in the text the fault is (0-based character offset). */
  readonly offset: number;
  readonly message: string;
}

export interface ReadDocument {
  readonly document: Document.Parsed;
  /** A bare `---` or a document of comments only: nothing to read. */
  readonly empty: boolean;
  /** The document as plain data, when it is not empty and has no fault. */
  readonly value?: unknown;
  /** Offsets of the keys named "__proto__", in document order: a JavaScript object cannot hold one faithfully, so
   * the caller refuses them. Found in the pass that checks the structure, not in a pass of its own. */
  readonly protoKeys?: readonly number[];
  readonly fault?: YamlFault;
}

export interface YamlRead {
  readonly documents: readonly ReadDocument[];
  /** A fault that stopped reading the whole text (nested too deep, too many documents); no document is read then. */
  readonly fault?: YamlFault;
}

export interface ReadOptions {
  readonly limits: InputLimits;
  readonly lineCounter?: LineCounter;
  readonly customTags?: SchemaOptions['customTags'];
}

const COLLECTION_TOKENS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Characters YAML and JSON allow only escaped: C0 and C1 controls other than tab, line feed, carriage return and
 * next line, DEL, and the non-characters U+FFFE and U+FFFF. The yaml package lets them through; a binary file is full
 * of them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for.
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/;

export function readYaml(text: string, options: ReadOptions): YamlRead {
  const { limits } = options;
  const forbidden = text.search(FORBIDDEN_CHARACTER);
  if (forbidden !== -1) {
    options.lineCounter?.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1 && i < forbidden; i = text.indexOf('\n', i + 1)) {
      options.lineCounter?.addNewLine(i + 1);
    }
    const code = text.codePointAt(forbidden)!.toString(16).toUpperCase().padStart(4, '0');
    const message = `the control character U+${code} is not allowed in YAML or JSON text unless escaped (is this a binary file?)`;
    return { documents: [], fault: { code: 'E_YAML', offset: forbidden, message } };
  }
  // uniqueKeys is off because the yaml package checks each key against every earlier key of its mapping (quadratic);
  // duplicates are found below with one set per mapping instead.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false, customTags: options.customTags ?? null });
  const parser = new Parser(options.lineCounter?.addNewLine);
  // What Parser.parse does before its first token; driving the parser token by token, it is ours to do.
  options.lineCounter?.addNewLine(0);
  const composed: Document.Parsed[] = [];
  let documentCount = 0;
  const take = (tokens: Iterable<CST.Token>): YamlFault | undefined => {
    for (const token of tokens) {
      if (token.type === 'document' && ++documentCount > limits.documentsPerFile) {
        return limitFault(token.offset, `more than ${formatCount(limits.documentsPerFile)} documents in one file`);
      }
      composed.push(...composer.next(token));
    }
    return undefined;
  };
  for (const lexeme of new Lexer().lex(text)) {
    const fault = take(parser.next(lexeme));
    if (fault) return { documents: [], fault };
    // The parser keeps one entry per open collection (plus the document, plus a scalar being read): its height is
    // the nesting depth, known before the composer or anything after it recurses into the structure.
    const top = parser.stack.at(-1);
    const depth = parser.stack.length - 1 - (top && !COLLECTION_TOKENS.has(top.type) ? 1 : 0);
    if (depth > limits.nestingDepth) {
      return { documents: [], fault: limitFault(parser.offset, tooDeep(limits)) };
    }
  }
  const fault = take(parser.end());
  if (fault) return { documents: [], fault };
  composed.push(...composer.end(false, text.length));
  return { documents: composed.map((document) => readDocument(text, document, limits)) };
}

function readDocument(text: string, document: Document.Parsed, limits: InputLimits): ReadDocument {
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) return { document, empty: false, fault: yamlFault(text, problem) };
  const contents = document.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return { document, empty: true };
  }
  const protoKeys: number[] = [];
  const structural = checkStructure(contents, limits, protoKeys);
  if (structural) return { document, empty: false, fault: structural };
  const start = contents.range[0];
  let value: unknown;
  try {
    // The yaml package counts an anchor's own node as its first copy: +1 lets every alias the limit allows through.
    value = document.toJS({ maxAliasCount: limits.aliasesPerDocument + 1 });
  } catch (error) {
    const message = (error as Error).message;
    return {
      document,
      empty: false,
      fault: /Excessive alias count/.test(message)
        ? limitFault(start, `aliases expand to more than ${limits.aliasesPerDocument} copies of their anchors`)
        : { code: 'E_YAML', offset: start, message: `cannot read the document: ${message}` },
    };
  }
  const shape = checkValue(value, limits);
  if (shape === 'cycle') {
    const message = 'an alias refers to a mapping or list that contains it, so the data would be endless';
    return { document, empty: false, fault: { code: 'E_YAML', offset: start, message } };
  }
  if (shape === 'too-deep') return { document, empty: false, fault: limitFault(start, tooDeep(limits)) };
  return { document, empty: false, value, protoKeys: protoKeys.sort((a, b) => a - b) };
}

/** One pass over the nodes in document order (no recursion: the depth is already bounded, but a pass need not rely on it): entries
 * per collection, string length, aliases, scalar keys, and duplicate keys with one set per mapping. Answers the
 * fault nearest the start of the text. */
function checkStructure(root: Node, limits: InputLimits, protoKeys: number[]): YamlFault | undefined {
  let first: YamlFault | undefined;
  const found = (fault: YamlFault) => {
    if (!first || fault.offset < first.offset) first = fault;
  };
  let aliases = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      if (node.items.length > limits.keysPerMapping) {
        found(limitFault(offsetOf(node), tooMany(node.items.length, limits.keysPerMapping, 'keys in one mapping')));
      }
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          if (key.value === '__proto__') protoKeys.push(offsetOf(key));
          if (seen.has(key.value)) found({ code: 'E_YAML', offset: offsetOf(key), message: DUPLICATE_KEY });
          else seen.add(key.value);
        } else if (isCollection(key) || isAlias(key)) {
          found({
            code: 'E_YAML',
            offset: offsetOf(key),
            message: 'a key must be a plain value, not a list, mapping or alias',
          });
        }
      }
      // Pushed last to first, so nodes are taken in the order they are written: the alias over the limit is the
      // one a reader counts to.
      for (let i = node.items.length - 1; i >= 0; i--) pending.push(node.items[i]!.value, node.items[i]!.key);
    } else if (isSeq(node)) {
      if (node.items.length > limits.itemsPerSequence) {
        found(limitFault(offsetOf(node), tooMany(node.items.length, limits.itemsPerSequence, 'items in one list')));
      }
      for (let i = node.items.length - 1; i >= 0; i--) pending.push(node.items[i]);
    } else if (isPair(node)) {
      // A single-pair mapping inside a flow list: [name: value]
      if (isScalar(node.key) && node.key.value === '__proto__') protoKeys.push(offsetOf(node.key));
      pending.push(node.value, node.key);
    } else if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.length > limits.scalarLength) {
        found(
          limitFault(
            offsetOf(node),
            `a string of ${formatCount(node.value.length)} characters; the limit is ${formatCount(limits.scalarLength)}`,
          ),
        );
      }
    } else if (isAlias(node) && ++aliases === limits.aliasesPerDocument + 1) {
      found(limitFault(offsetOf(node), `more than ${limits.aliasesPerDocument} aliases in one document`));
    }
  }
  return first;
}

/** Whether plain data (aliases make it a graph, not a tree) nests deeper than the limit or contains itself. Each
 * shared object is measured once. */
function checkValue(root: unknown, limits: InputLimits): 'ok' | 'cycle' | 'too-deep' {
  if (typeof root !== 'object' || root === null) return 'ok';
  interface Frame {
    readonly node: object;
    readonly children: unknown[];
    next: number;
    height: number;
  }
  const heights = new Map<object, number>();
  const onPath = new Set<object>();
  const frames: Frame[] = [];
  const enter = (node: object) => {
    frames.push({ node, children: Array.isArray(node) ? node : Object.values(node), next: 0, height: 0 });
    onPath.add(node);
  };
  enter(root);
  while (frames.length > 0) {
    const frame = frames.at(-1)!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (typeof child !== 'object' || child === null) continue;
      if (onPath.has(child)) return 'cycle';
      const known = heights.get(child);
      if (known !== undefined) {
        if (frames.length + known > limits.nestingDepth) return 'too-deep';
        frame.height = Math.max(frame.height, known);
        continue;
      }
      if (frames.length + 1 > limits.nestingDepth) return 'too-deep';
      enter(child);
    } else {
      frames.pop();
      onPath.delete(frame.node);
      const height = frame.height + 1;
      heights.set(frame.node, height);
      const parent = frames.at(-1);
      if (parent) parent.height = Math.max(parent.height, height);
    }
  }
  return 'ok';
}

const DUPLICATE_KEY = 'duplicate key: map keys must be unique';

function offsetOf(node: Node): number {
  return node.range?.[0] ?? 0;
}

function limitFault(offset: number, message: string): YamlFault {
  return { code: 'E_LIMIT', offset, message };
}

function tooDeep(limits: InputLimits): string {
  return `mappings and lists nest more than ${limits.nestingDepth} deep`;
}

function tooMany(count: number, limit: number, what: string): string {
  return `${formatCount(count)} ${what}; the limit is ${formatCount(limit)}`;
}

function yamlFault(
  text: string,
  problem: { code: string; message: string; pos: readonly [number, number] },
): YamlFault {
  return { code: 'E_YAML', offset: faultOffset(text, problem), message: yamlMessage(problem) };
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

/** The last quote before `before` that opens a string: one with an even number of its own kind before it on its
 * line. Each line is scanned once, so a long one-line JSON file costs its length, not its length squared. */
function lastUnclosedQuote(text: string, before: number): number | undefined {
  let lineEnd = Math.min(before, text.length);
  for (;;) {
    const lineStart = lineEnd === 0 ? 0 : text.lastIndexOf('\n', lineEnd - 1) + 1;
    const counts: Record<string, number> = { '"': 0, "'": 0 };
    let opening: number | undefined;
    for (let i = lineStart; i < lineEnd; i++) {
      const char = text[i]!;
      if (char !== '"' && char !== "'") continue;
      if (counts[char]! % 2 === 0) opening = i;
      counts[char]! += 1;
    }
    if (opening !== undefined) return opening;
    if (lineStart === 0) return undefined;
    lineEnd = lineStart - 1;
  }
}

function yamlMessage(problem: { code: string; message: string }): string {
  // The yaml package's messages are good but may run over several lines; keep one sentence a person can act on.
  const firstLine = problem.message.split('\n')[0] ?? problem.message;
  switch (problem.code) {
    case 'DUPLICATE_KEY':
      return DUPLICATE_KEY;
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'this line is indented deeper than the keys beside it; align it with its sibling keys';
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed as indentation in YAML; indent with spaces';
    default:
      if (firstLine.startsWith('Unresolved tag')) {
        // !Ref, !Sub, !GetAtt…: most likely a CloudFormation template that no stack names, read as a declaration.
        const template = /^Unresolved tag: ![A-Z]/.test(firstLine)
          ? '; if this file is a CloudFormation template, name it in the spec.template of a CloudFormationStack'
          : '';
        return `${firstLine} (custom YAML tags are not part of the declaration format${template})`;
      }
      return firstLine;
  }
}

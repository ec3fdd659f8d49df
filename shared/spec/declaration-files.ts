/** Sorts the YAML and JSON files of a configuration repository into templates and declarations, and parses and
 * checks each declaration file on its own. A file is a template only when a CloudFormationStack names it; every
 * other file is a declaration, so a misspelt one is an error, never a file silently taken for a template. */
import { compareStrings } from '../util.ts';
import { checkDocument } from './checks.ts';
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { FileEntry } from './files.ts';
import { INPUT_LIMITS, type InputLimits } from './limits.ts';
import { documentLocators, type ParsedDocument, parseDeclarationFile } from './parse.ts';
import { resolveTemplatePath } from './template-path.ts';

export interface CheckedFile {
  readonly documents: ParsedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** Repository paths of the templates its CloudFormationStack documents name, valid documents or not. */
  readonly templates: readonly string[];
}

/** A checked file as data only (its documents without their locators), to cross from a worker thread. */
export interface PortableCheckedFile {
  readonly documents: readonly Omit<ParsedDocument, 'locate' | 'plainSource'>[];
  readonly diagnostics: readonly Diagnostic[];
  readonly templates: readonly string[];
}

/** A file's repository path and text. */
export type FileText = readonly [path: string, text: string];

/** Parses and checks files, answering in their order. checkFilesHere does it in this thread; a caller with cores to
 * spare passes one that spreads a large repository over worker threads (cli/parse-pool.ts). */
export type FileChecker = (files: readonly FileText[], limits: InputLimits) => Promise<CheckedFile[]>;

export const checkFilesHere: FileChecker = async (files, limits) =>
  files.map(([path, text]) => checkFile(path, text, limits));

export function portableCheckedFile(checked: CheckedFile): PortableCheckedFile {
  return {
    documents: checked.documents.map(({ locate: _locate, plainSource: _plainSource, ...data }) => data),
    diagnostics: checked.diagnostics,
    templates: checked.templates,
  };
}

/** A checked file again, its locators reading `text` the first time a finding asks. */
export function restoreCheckedFile(
  path: string,
  text: string,
  limits: InputLimits,
  portable: PortableCheckedFile,
): CheckedFile {
  return {
    documents: portable.documents.map(
      (data) => ({ ...data, ...documentLocators(path, text, limits, data.index) }) as ParsedDocument,
    ),
    diagnostics: portable.diagnostics,
    templates: portable.templates,
  };
}

export interface SortedFiles {
  /** Declaration files (path order) with their documents and the diagnostics each has alone. */
  readonly declarations: Map<string, CheckedFile>;
  /** Files some CloudFormationStack names as its template: read through their stack, not as declarations. */
  readonly templatePaths: ReadonlySet<string>;
}

/** Parsed and checked files by path (with the blob id they were parsed from), kept beside a blob cache (and as long
 * as it): a warm sweep then parses only what changed, not every declaration on every run. One entry per path, so a
 * changed file replaces its older parse and the cache grows with the repository, not with its history; a fixed cap
 * below the repository's size emptied it on every load (at 20,000 files every sweep, and every shard of one, parsed
 * everything). The cap left is a backstop for paths deleted over a long-lived process. */
const parseCaches = new WeakMap<Map<string, string>, Map<string, { blobId: string; file: CheckedFile }>>();
const MAX_PARSED_FILES = 2 * INPUT_LIMITS.declarationsPerRepository;

function parseCacheFor(blobCache: Map<string, string>): Map<string, { blobId: string; file: CheckedFile }> {
  let parsed = parseCaches.get(blobCache);
  if (!parsed || parsed.size > MAX_PARSED_FILES) {
    parsed = new Map();
    parseCaches.set(blobCache, parsed);
  }
  return parsed;
}

/**
 * Which files are templates is known only once the stacks are parsed. Files that may be templates (they mention
 * Resources) wait until the others are parsed and are parsed as declarations only when no stack named them; the
 * names are gathered again at the end, since a waiting file may itself hold a stack.
 */
export async function sortFiles(
  texts: ReadonlyMap<string, string>,
  byPath: ReadonlyMap<string, FileEntry>,
  limits: InputLimits,
  blobCache: Map<string, string> | undefined,
  checkFiles: FileChecker = checkFilesHere,
): Promise<SortedFiles> {
  const cache = blobCache ? parseCacheFor(blobCache) : undefined;
  const declarations = new Map<string, CheckedFile>();
  const waiting: string[] = [];
  const parse = async (paths: readonly string[]) => {
    const unparsed: FileText[] = [];
    for (const path of paths) {
      const cached = cache?.get(path);
      if (cached && cached.blobId === byPath.get(path)?.blobId) declarations.set(path, cached.file);
      else unparsed.push([path, texts.get(path)!]);
    }
    const checked = unparsed.length > 0 ? await checkFiles(unparsed, limits) : [];
    unparsed.forEach(([path], index) => {
      const blobId = byPath.get(path)?.blobId;
      if (blobId !== undefined) cache?.set(path, { blobId, file: checked[index]! });
      declarations.set(path, checked[index]!);
    });
  };
  const first: string[] = [];
  for (const [path, text] of texts) {
    if (mayBeTemplate(text)) waiting.push(path);
    else first.push(path);
  }
  await parse(first);
  const namedFirst = namedTemplates(declarations);
  await parse(waiting.filter((path) => !namedFirst.has(path)));
  const templatePaths = namedTemplates(declarations);
  for (const path of templatePaths) declarations.delete(path);
  return {
    declarations: new Map([...declarations].sort(([a], [b]) => compareStrings(a, b))),
    templatePaths,
  };
}

function mayBeTemplate(text: string): boolean {
  return text.includes('Resources') || text.includes('AWSTemplateFormatVersion');
}

function namedTemplates(declarations: ReadonlyMap<string, CheckedFile>): Set<string> {
  return new Set([...declarations.values()].flatMap((checked) => checked.templates));
}

/** Parses and checks one file. Whatever goes wrong inside is this file's diagnostic, never a failed run: the parser
 * is built not to throw, and this is the guard for the day it does. */
export function checkFile(path: string, text: string, limits: InputLimits): CheckedFile {
  try {
    const parsed = parseDeclarationFile(path, text, limits);
    const templates = parsed.namedTemplates.flatMap((template) => {
      const resolved = resolveTemplatePath(path, template);
      return resolved.ok ? [resolved.path] : [];
    });
    return {
      documents: parsed.documents,
      diagnostics: [...parsed.diagnostics, ...parsed.documents.flatMap(checkDocument)],
      templates,
    };
  } catch (error) {
    const start = { file: path, line: 1, column: 1 };
    const problem =
      error instanceof RangeError
        ? diagnostic('E_LIMIT', start, `the file is too large or nested too deep to read (${error.message})`)
        : diagnostic(
            'E_INTERNAL',
            start,
            `driftless failed while reading this file (${(error as Error).name}: ${(error as Error).message}); the file is refused`,
          );
    return { documents: [], diagnostics: [problem], templates: [] };
  }
}

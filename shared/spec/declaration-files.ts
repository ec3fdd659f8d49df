/** Sorts the YAML and JSON files of a configuration repository into templates and declarations, and parses and
 * checks each declaration file on its own. A file is a template only when a CloudFormationStack names it; every
 * other file is a declaration, so a misspelt one is an error, never a file silently taken for a template. */
import { compareStrings } from '../util.ts';
import { checkDocument } from './checks.ts';
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { FileEntry } from './files.ts';
import type { InputLimits } from './limits.ts';
import { type ParsedDocument, parseDeclarationFile } from './parse.ts';
import { resolveTemplatePath } from './template-path.ts';

export interface CheckedFile {
  readonly documents: ParsedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** Repository paths of the templates its CloudFormationStack documents name, valid documents or not. */
  readonly templates: readonly string[];
}

export interface SortedFiles {
  /** Declaration files (path order) with their documents and the diagnostics each has alone. */
  readonly declarations: Map<string, CheckedFile>;
  /** Files some CloudFormationStack names as its template: read through their stack, not as declarations. */
  readonly templatePaths: ReadonlySet<string>;
}

/** Parsed and checked files by path and blob id, kept beside a blob cache (and as long as it): a warm sweep then
 * parses only what changed, not every declaration on every run. */
const parseCaches = new WeakMap<Map<string, string>, Map<string, CheckedFile>>();
const MAX_PARSED_FILES = 10_000;

function parseCacheFor(blobCache: Map<string, string>): Map<string, CheckedFile> {
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
export function sortFiles(
  texts: ReadonlyMap<string, string>,
  byPath: ReadonlyMap<string, FileEntry>,
  limits: InputLimits,
  blobCache: Map<string, string> | undefined,
): SortedFiles {
  const cache = blobCache ? parseCacheFor(blobCache) : undefined;
  const declarations = new Map<string, CheckedFile>();
  const waiting: string[] = [];
  const parse = (path: string, text: string) => {
    const key = `${path}@${byPath.get(path)?.blobId}`;
    let checked = cache?.get(key);
    if (!checked) {
      checked = checkFile(path, text, limits);
      cache?.set(key, checked);
    }
    declarations.set(path, checked);
  };
  for (const [path, text] of texts) {
    if (mayBeTemplate(text)) waiting.push(path);
    else parse(path, text);
  }
  const namedFirst = namedTemplates(declarations);
  for (const path of waiting) if (!namedFirst.has(path)) parse(path, texts.get(path)!);
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
function checkFile(path: string, text: string, limits: InputLimits): CheckedFile {
  try {
    const parsed = parseDeclarationFile(path, text, limits);
    const templates = parsed.namedTemplates.flatMap((template) => {
      const resolved = resolveTemplatePath(path, template);
      return resolved.ok ? [resolved.path] : [];
    });
    const diagnostics = [...parsed.diagnostics, ...parsed.documents.flatMap(checkDocument)];
    // Kept in the parse cache for the life of a warm process: without their trees, 5,000 files fit in a tenth.
    parsed.releaseSyntaxTrees?.();
    return { documents: parsed.documents, diagnostics, templates };
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

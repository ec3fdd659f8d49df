/** Loads a configuration repository at one commit into validated declarations: every file is read from Git
 * (never a working tree), parsed, checked alone and against the others, and every problem becomes a diagnostic. */
import { compareStrings } from '../util.ts';
import { checkTargets, clusterName } from './checks.ts';
import { parseTemplate } from './cloudformation-yaml.ts';
import { type FileChecker, sortFiles } from './declaration-files.ts';
import { compareDiagnostics, type Diagnostic, diagnostic, hasErrors, type SourceLocation } from './diagnostics.ts';
import type { FileEntry, RepositoryReader } from './files.ts';
import { formatCount, type InputLimits, limitsWith } from './limits.ts';
import type { ParsedDocument } from './parse.ts';
import { readText, readTexts } from './read-files.ts';
import { type LocatedStackReference, locateReferences } from './references.ts';
import type { CloudFormationStackDocument, EcsServiceDocument, SettingsDocument } from './schema.ts';
import { checkTemplate } from './template-checks.ts';
import { resolveTemplatePath } from './template-path.ts';
import { checkTemplateSecrets } from './template-secrets.ts';

export { type ResolvedPath, resolveTemplatePath } from './template-path.ts';

export const SETTINGS_FILE_NAMES = ['driftless.yaml', 'driftless.yml'] as const;
const DECLARATION_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface EcsServiceDeclaration {
  readonly kind: 'EcsService';
  /** Identity used to pair with live state and to find duplicates: EcsService:<cluster name>/<service name>. */
  readonly id: string;
  readonly document: EcsServiceDocument;
  readonly location: SourceLocation;
  /** The `${stack:<name>.<OutputKey>}` references in its spec, resolved at plan time; absent when none. */
  readonly references?: readonly LocatedStackReference[];
}

export interface CloudFormationStackDeclaration {
  readonly kind: 'CloudFormationStack';
  /** CloudFormationStack:<stack name>. */
  readonly id: string;
  readonly document: CloudFormationStackDocument;
  readonly location: SourceLocation;
  /** The template, read from the same commit. `path` is relative to the repository root. */
  readonly template: { readonly path: string; readonly body: string; readonly parsed: Record<string, unknown> };
}

export type Declaration = EcsServiceDeclaration | CloudFormationStackDeclaration;

export interface RepositorySnapshot {
  readonly commitId: string;
  /** The folder declarations were read from, '' for the repository root. */
  readonly prefix: string;
  readonly settings?: { readonly document: SettingsDocument; readonly location: SourceLocation };
  /** Declarations from files without errors; a file with any error contributes none. */
  readonly declarations: readonly Declaration[];
  readonly diagnostics: readonly Diagnostic[];
  /** True when any error was found: a declaration that did not parse must never read as "absent". */
  readonly pruneBlocked: boolean;
  /** Declaration files read, for reporting. */
  readonly fileCount: number;
}

export interface LoadOptions {
  /** A branch, tag or commit; resolved once, so the whole load sees one commit. */
  readonly ref: string;
  /** Folder inside the repository that holds driftless.yaml and the declarations. */
  readonly prefix?: string;
  /** File texts by Git blob id. Blobs are immutable, so a warm process keeps this across runs and reads only the
   * files a commit changed. */
  readonly blobCache?: Map<string, string>;
  /** INPUT_LIMITS with some narrowed, for tests of a limit too large to build (declarations per repository). */
  readonly limits?: Partial<InputLimits>;
  /** Read only these declaration files (and the settings file): a partial snapshot, for looking up a few
   * declarations at an earlier commit without reading and parsing the whole repository again. */
  readonly only?: ReadonlySet<string>;
  /** How files are parsed and checked: in this thread unless the caller brings a pool of worker threads. */
  readonly checkFiles?: FileChecker;
}

function isSettingsPath(path: string): boolean {
  return (SETTINGS_FILE_NAMES as readonly string[]).includes(path.slice(path.lastIndexOf('/') + 1));
}

export function identityOf(parsed: ParsedDocument): string | undefined {
  if (parsed.kind === 'EcsService') {
    return `EcsService:${clusterName(parsed.document.metadata.cluster)}/${parsed.document.metadata.name}`;
  }
  if (parsed.kind === 'CloudFormationStack') return `CloudFormationStack:${parsed.document.metadata.name}`;
  return undefined;
}

export function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

/** Reads and validates the repository at `options.ref`. Git read failures throw (GitReadError); they are never
 * an empty repository. Everything wrong with the content is a diagnostic. */
export async function loadRepository(source: RepositoryReader, options: LoadOptions): Promise<RepositorySnapshot> {
  const prefix = normalizePrefix(options.prefix);
  const commitId = await source.resolveRef(options.ref);
  const entries = await source.listFiles(commitId, prefix);
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const diagnostics: Diagnostic[] = [];

  const limits = limitsWith(options.limits);
  const candidates = withinFileLimit(
    entries.filter(
      (entry) =>
        isDeclarationCandidate(entry.path, prefix) &&
        (!options.only || options.only.has(entry.path) || isSettingsPath(entry.path)),
    ),
    limits,
    diagnostics,
  );
  const cache = options.blobCache;
  const texts = await readTexts(source, commitId, candidates, diagnostics, cache);

  const sorted = await sortFiles(texts, byPath, limits, cache, options.checkFiles);
  const parsedFiles = new Map<string, ParsedDocument[]>();
  // Copied: the checks across files below add to each file's list.
  const fileDiagnostics = new Map<string, Diagnostic[]>();
  for (const [path, checked] of sorted.declarations) {
    parsedFiles.set(path, checked.documents);
    fileDiagnostics.set(path, [...checked.diagnostics]);
  }

  const settings = findSettings(prefix, parsedFiles, fileDiagnostics);
  const templates = new Map<string, CloudFormationStackDeclaration['template']>();
  const firstById = new Map<string, SourceLocation>();
  const duplicated = new Set<string>();
  let declarationCount = 0;
  for (const [file, documents] of [...parsedFiles].sort(([a], [b]) => compareStrings(a, b))) {
    const found = fileDiagnostics.get(file) ?? [];
    let overLimit = false;
    for (const parsed of documents) {
      if (settings) found.push(...checkTargets(parsed, settings.document));
      if (parsed.kind !== 'Settings' && ++declarationCount > limits.declarationsPerRepository && !overLimit) {
        overLimit = true;
        found.push(
          diagnostic(
            'E_LIMIT',
            parsed.location,
            `more than ${formatCount(limits.declarationsPerRepository)} declarations in the repository; this one and those after it (in path order) are refused`,
          ),
        );
      }
      const id = identityOf(parsed);
      if (id !== undefined) {
        const first = firstById.get(id);
        if (first) {
          duplicated.add(id);
          found.push(
            diagnostic(
              'E_DUPLICATE',
              parsed.locate(['metadata', 'name']),
              `${id} is already declared at ${first.file}:${first.line}; a resource is declared once`,
            ),
          );
        } else firstById.set(id, parsed.location);
      }
      if (parsed.kind === 'CloudFormationStack') {
        const template = await readTemplate(source, commitId, prefix, parsed, byPath, found, cache, limits);
        if (template) {
          templates.set(file + parsed.location.line, template);
          found.push(...checkTemplate(parsed, template.path, template.body, template.parsed, settings?.document));
        }
      }
    }
    fileDiagnostics.set(file, found);
  }

  const declarations: Declaration[] = [];
  for (const [file, documents] of parsedFiles) {
    if (!settings || hasErrors(fileDiagnostics.get(file) ?? [])) continue;
    for (const parsed of documents) {
      const id = identityOf(parsed);
      if (id === undefined || duplicated.has(id)) continue;
      if (parsed.kind === 'EcsService') {
        const references = locateReferences(parsed.document.spec, parsed.locate);
        declarations.push({
          kind: 'EcsService',
          id,
          document: parsed.document,
          location: parsed.location,
          ...(references.length > 0 ? { references } : {}),
        });
      } else if (parsed.kind === 'CloudFormationStack') {
        const template = templates.get(file + parsed.location.line);
        if (template) {
          declarations.push({
            kind: 'CloudFormationStack',
            id,
            document: parsed.document,
            location: parsed.location,
            template,
          });
        }
      }
    }
  }
  for (const found of fileDiagnostics.values()) diagnostics.push(...found);
  diagnostics.sort(compareDiagnostics);
  declarations.sort((a, b) => compareStrings(a.id, b.id));
  return {
    commitId,
    prefix,
    ...(settings ? { settings } : {}),
    declarations,
    diagnostics,
    pruneBlocked: hasErrors(diagnostics),
    fileCount: parsedFiles.size,
  };
}

function isDeclarationCandidate(path: string, prefix: string): boolean {
  const relative = prefix === '' ? path : path.slice(prefix.length + 1);
  // Folders and files starting with a dot (.github, .schema, .vscode) belong to tools, not to driftless.
  if (relative.split('/').some((segment) => segment.startsWith('.'))) return false;
  return DECLARATION_EXTENSIONS.some((extension) => path.toLowerCase().endsWith(extension));
}

/** Files past the limit are refused unread, in path order. */
function withinFileLimit(entries: readonly FileEntry[], limits: InputLimits, diagnostics: Diagnostic[]): FileEntry[] {
  const sorted = [...entries].sort((a, b) => compareStrings(a.path, b.path));
  const first = sorted[limits.filesPerRepository];
  if (first === undefined) return sorted;
  diagnostics.push(
    diagnostic(
      'E_LIMIT',
      { file: first.path, line: 1, column: 1 },
      `${formatCount(sorted.length)} YAML and JSON files; the limit is ${formatCount(limits.filesPerRepository)}, so this file and those after it (in path order) are not read`,
    ),
  );
  return sorted.slice(0, limits.filesPerRepository);
}

function findSettings(
  prefix: string,
  parsedFiles: Map<string, ParsedDocument[]>,
  fileDiagnostics: Map<string, Diagnostic[]>,
): RepositorySnapshot['settings'] {
  const expected = SETTINGS_FILE_NAMES.map((name) => (prefix === '' ? name : `${prefix}/${name}`));
  const found: { document: SettingsDocument; location: SourceLocation }[] = [];
  for (const [file, documents] of parsedFiles) {
    for (const parsed of documents) {
      const problems = fileDiagnostics.get(file) ?? [];
      if (parsed.kind === 'Settings') {
        if (!expected.includes(file)) {
          problems.push(diagnostic('E_SETTINGS', parsed.location, `Settings belong in ${expected[0]}, not in ${file}`));
        } else found.push({ document: parsed.document, location: parsed.location });
      } else if (expected.includes(file)) {
        problems.push(
          diagnostic(
            'E_SETTINGS',
            parsed.location,
            `${file} holds the Settings; declare ${parsed.kind} in its own file`,
          ),
        );
      }
      fileDiagnostics.set(file, problems);
    }
  }
  if (found.length > 1) {
    for (const extra of found.slice(1)) {
      fileDiagnostics
        .get(extra.location.file)
        ?.push(
          diagnostic(
            'E_SETTINGS',
            extra.location,
            `Settings are declared more than once (first at ${found[0]!.location.file}:${found[0]!.location.line})`,
          ),
        );
    }
    return undefined;
  }
  if (found.length === 0) {
    const file = expected[0]!;
    const parsedSettingsFileFailed = expected.some((path) => hasErrors(fileDiagnostics.get(path) ?? []));
    if (!parsedSettingsFileFailed) {
      const problems = fileDiagnostics.get(file) ?? [];
      problems.push(
        diagnostic(
          'E_SETTINGS',
          { file, line: 1, column: 1 },
          `no Settings file: create ${file} with kind: Settings naming the clusters, stack-name prefix and roles this repository may touch`,
        ),
      );
      fileDiagnostics.set(file, problems);
    }
    return undefined;
  }
  const settings = found[0]!;
  return hasErrors(fileDiagnostics.get(settings.location.file) ?? []) ? undefined : settings;
}

async function readTemplate(
  source: RepositoryReader,
  commitId: string,
  prefix: string,
  parsed: ParsedDocument & { kind: 'CloudFormationStack' },
  byPath: ReadonlyMap<string, FileEntry>,
  found: Diagnostic[],
  cache: Map<string, string> | undefined,
  limits: InputLimits,
): Promise<CloudFormationStackDeclaration['template'] | undefined> {
  const at = parsed.locate(['spec', 'template']);
  const resolved = resolveTemplatePath(parsed.location.file, parsed.document.spec.template);
  if (!resolved.ok) {
    found.push(diagnostic('E_PATH', at, resolved.reason));
    return undefined;
  }
  const path = resolved.path;
  if (prefix !== '' && !path.startsWith(`${prefix}/`)) {
    found.push(diagnostic('E_PATH', at, `template ${path} is outside ${prefix}/, the folder driftless reads`));
    return undefined;
  }
  const entry = byPath.get(path);
  if (!entry) {
    found.push(diagnostic('E_PATH', at, `template ${path} does not exist at this commit`));
    return undefined;
  }
  if (entry.type === 'symlink') {
    found.push(diagnostic('E_PATH', at, `template ${path} is a symbolic link; driftless does not follow links`));
    return undefined;
  }
  const problems: Diagnostic[] = [];
  const body = await readText(source, commitId, entry, problems, cache);
  if (body === undefined) {
    for (const problem of problems) found.push({ ...problem, ...at, message: `template ${path}: ${problem.message}` });
    return undefined;
  }
  const result = parseTemplate(body, limits);
  if (!result.template) {
    const offset = result.error?.offset ?? 0;
    const line = body.slice(0, offset).split('\n').length;
    const code = result.error?.code === 'E_LIMIT' ? 'E_LIMIT' : 'E_TEMPLATE';
    found.push(diagnostic(code, at, `template ${path}:${line}: ${result.error?.message ?? 'cannot be read'}`));
    return undefined;
  }
  found.push(...checkTemplateSecrets(parsed, path, body, result.template));
  return { path, body, parsed: result.template };
}

/** The bad-input corpus as data: each case in test/fixtures/invalid is test/fixtures/invalid/_base with the case's
 * files/ laid over it, plus files its expected.json generates — bytes that are not UTF-8 text, and files too large
 * to keep in the repository (tens of thousands of keys, a megabyte-long string). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputLimits } from '../../shared/spec/limits.ts';

export const INVALID_CORPUS = fileURLToPath(new URL('../fixtures/invalid/', import.meta.url));

/** A file a case builds when it runs. */
export interface GeneratedFile {
  readonly path: string;
  /** The file's bytes, base64-encoded. */
  readonly base64?: string;
  /** Otherwise text: `head`, then `repeat` written `times` times ("{i}" in it counts 0, 1, 2, …), then `tail`. */
  readonly head?: string;
  readonly repeat?: string;
  readonly times?: number;
  readonly tail?: string;
}

export interface CorpusExpectation {
  readonly description: string;
  readonly withoutBase?: boolean;
  readonly remove?: readonly string[];
  readonly diagnostics: readonly { readonly code: string; readonly file: string; readonly line: number }[];
  readonly declarations: readonly string[];
  readonly messages?: readonly string[];
  readonly generated?: readonly GeneratedFile[];
  /** Limits narrowed for this case, where the real one needs a repository too large to build in a test. */
  readonly limits?: Partial<InputLimits>;
  /** A hostile-* case the deployment must refuse even when Settings allow it (test/shared/reconcile/hostile-stacks). */
  readonly runtime?: CorpusRuntime;
}

/** What makes Settings allow a hostile case, what the deployment allows beyond the base's types, and the errors the
 * run reports. */
export interface CorpusRuntime {
  /** Entries added to the case's targets in driftless.yaml. */
  readonly allow: Partial<Record<'resourceTypes' | 'clusters' | 'roleArnPatterns' | 'readStacks', readonly string[]>>;
  /** Patterns the deployment allows besides the base's targets.resourceTypes. */
  readonly deployment?: readonly string[];
  readonly diagnostics: readonly { readonly code: string; readonly file: string; readonly line: number }[];
}

export interface CorpusCase {
  readonly name: string;
  readonly expected: CorpusExpectation;
  readonly files: Record<string, string | Uint8Array>;
}

export function generatedFiles(list: readonly GeneratedFile[] = []): Record<string, string | Uint8Array> {
  return Object.fromEntries(
    list.map((file) => [
      file.path,
      file.base64 === undefined
        ? `${file.head ?? ''}${repeated(file.repeat ?? '', file.times ?? 0)}${file.tail ?? ''}`
        : Buffer.from(file.base64, 'base64'),
    ]),
  );
}

function repeated(unit: string, times: number): string {
  if (!unit.includes('{i}')) return unit.repeat(times);
  return Array.from({ length: times }, (_, i) => unit.replaceAll('{i}', String(i))).join('');
}

/** Every file under `dir`, by '/'-separated path relative to it; none when `dir` does not exist. */
function readTree(dir: string, relative = ''): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(join(dir, relative))) return files;
  for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(files, readTree(dir, path));
    else files[path] = readFileSync(join(dir, path), 'utf8');
  }
  return files;
}

/** The valid repository every case starts from: Settings, the web service, the network stack and its template. */
export function corpusBaseFiles(): Record<string, string> {
  return readTree(join(INVALID_CORPUS, '_base'));
}

/** The corpus cases whose folder name `select` accepts, in name order, with their files built. */
export function corpusCases(select: (name: string) => boolean): CorpusCase[] {
  const base = corpusBaseFiles();
  return readdirSync(INVALID_CORPUS)
    .filter((name) => !name.startsWith('_') && select(name) && statSync(join(INVALID_CORPUS, name)).isDirectory())
    .sort()
    .map((name) => {
      const expected = JSON.parse(
        readFileSync(join(INVALID_CORPUS, name, 'expected.json'), 'utf8'),
      ) as CorpusExpectation;
      const files: Record<string, string | Uint8Array> = expected.withoutBase ? {} : { ...base };
      for (const path of expected.remove ?? []) delete files[path];
      Object.assign(files, readTree(join(INVALID_CORPUS, name, 'files')), generatedFiles(expected.generated));
      return { name, expected, files };
    });
}

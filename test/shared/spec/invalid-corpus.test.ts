/** The bad-input corpus: every case in test/fixtures/invalid (and the warning-only cases in test/fixtures/warnings)
 * is a small configuration repository: test/fixtures/invalid/_base with the case's files/ laid over it. Each one is
 * committed to a real git repository and loaded through LocalGitSource, and the diagnostics must be exactly the ones
 * the case's expected.json lists. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, type ExpectStatic, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../../shared/spec/diagnostics.ts';
import type { InputLimits } from '../../../shared/spec/limits.ts';
import { loadRepository, type RepositorySnapshot } from '../../../shared/spec/repository.ts';
import { type GeneratedFile, generatedFiles } from '../../support/corpus.ts';
import { type FileChanges, makeRepo, type TestRepo } from '../../support/git-repo.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const INVALID = join(FIXTURES, 'invalid');
const WARNINGS = join(FIXTURES, 'warnings');
const BASE = join(INVALID, '_base');

interface ExpectedDiagnostic {
  readonly code: string;
  readonly file: string;
  readonly line: number;
}

interface Expected {
  readonly description: string;
  /** Start from an empty repository instead of _base. */
  readonly withoutBase?: boolean;
  /** Base files to delete before the overlay is applied. */
  readonly remove?: readonly string[];
  /** The errors, exactly. */
  readonly diagnostics: readonly ExpectedDiagnostic[];
  /** The warnings, exactly, when given; not checked otherwise. */
  readonly warnings?: readonly ExpectedDiagnostic[];
  /** Identities of the declarations the load returns, exactly. */
  readonly declarations: readonly string[];
  /** Each must be part of some diagnostic's message: the hint a person needs (a suggestion, a name, a limit). */
  readonly messages?: readonly string[];
  /** Files built when the case runs: bytes that are not text, and files too large to keep (test/support/corpus.ts). */
  readonly generated?: readonly GeneratedFile[];
  /** Limits narrowed for this case, where the real one needs a repository too large to build in a test. */
  readonly limits?: Partial<InputLimits>;
}

interface Case {
  readonly name: string;
  readonly expected: Expected;
  readonly files: Record<string, string | Uint8Array>;
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

const baseFiles = readTree(BASE);

function loadCases(root: string): Case[] {
  return readdirSync(root)
    .filter((name) => !name.startsWith('_') && statSync(join(root, name)).isDirectory())
    .sort()
    .map((name) => {
      const expectedFile = join(root, name, 'expected.json');
      if (!existsSync(expectedFile)) throw new Error(`corpus case ${name} has no expected.json`);
      const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected;
      const files: Record<string, string | Uint8Array> = expected.withoutBase ? {} : { ...baseFiles };
      for (const path of expected.remove ?? []) {
        if (!(path in files)) throw new Error(`${name}: remove names ${path}, which is not a base file`);
        delete files[path];
      }
      Object.assign(files, readTree(join(root, name, 'files')), generatedFiles(expected.generated));
      return { name, expected, files };
    });
}

const invalidCases = loadCases(INVALID);
const warningCases = loadCases(WARNINGS);

/** Commits `files` to a fresh repository in its own temp dir, loads it at main, and removes the repository. */
async function load(
  files: FileChanges,
  prepare?: (repo: TestRepo) => Promise<void>,
  limits?: Partial<InputLimits>,
): Promise<RepositorySnapshot> {
  const repo = await makeRepo(files);
  try {
    await prepare?.(repo);
    return await loadRepository(new LocalGitSource({ repoDir: repo.dir }), {
      ref: 'main',
      ...(limits ? { limits } : {}),
    });
  } finally {
    await repo.cleanup();
  }
}

/** Where each diagnostic is, as a sorted set: one fault the YAML parser reports twice on a line counts once. */
function places(list: readonly ExpectedDiagnostic[]): ExpectedDiagnostic[] {
  const unique = new Map(list.map(({ code, file, line }) => [`${file}:${line}:${code}`, { code, file, line }]));
  return [...unique.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code),
  );
}
const ofSeverity = (snapshot: RepositorySnapshot, severity: Diagnostic['severity']) =>
  snapshot.diagnostics.filter((d) => d.severity === severity);
const ids = (snapshot: RepositorySnapshot) => snapshot.declarations.map((d) => d.id);
const BASE_IDS = ['CloudFormationStack:platform-network', 'EcsService:prod/web'];

/** What every diagnostic must be, whatever the case: a known code, a position, and a sentence a person can read. */
function expectWellFormed(expect: ExpectStatic, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(Object.keys(DIAGNOSTIC_CODES)).toContain(d.code);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(10);
    expect(d.message).not.toMatch(/undefined|\[object Object\]|NaN/);
  }
}

function expectMessages(expect: ExpectStatic, diagnostics: readonly Diagnostic[], parts: readonly string[] = []): void {
  const messages = diagnostics.map((d) => d.message);
  for (const part of parts) expect(messages).toContainEqual(expect.stringContaining(part));
}

describe('the corpus base', () => {
  it('loads with no diagnostics and two declarations', async () => {
    // Act
    const snapshot = await load(baseFiles);

    // Assess
    expect(snapshot.diagnostics).toEqual([]);
    expect(snapshot.pruneBlocked).toBe(false);
    expect(snapshot.settings?.location.file).toBe('driftless.yaml');
    expect(ids(snapshot)).toEqual(BASE_IDS);
    expect(snapshot.declarations.map((d) => d.location.file)).toEqual(['stacks/network.yaml', 'services/web.yaml']);
  });
});

describe('the bad-input corpus', () => {
  it('has at least 32 cases', () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(32);
  });

  // Each case builds its own repository in its own temp dir, so the cases run concurrently (it.for hands each
  // one its own expect).
  it.concurrent.for(invalidCases)('$name', async ({ expected, files }, { expect }) => {
    // Act
    const snapshot = await load(files, undefined, expected.limits);

    // Assess
    const errors = ofSeverity(snapshot, 'error');
    expect(places(errors)).toEqual(places(expected.diagnostics));
    if (expected.warnings) expect(places(ofSeverity(snapshot, 'warning'))).toEqual(places(expected.warnings));
    expectWellFormed(expect, snapshot.diagnostics);
    expectMessages(expect, snapshot.diagnostics, expected.messages);
    expect(snapshot.pruneBlocked).toBe(true);
    // A file with an error contributes nothing, not even its valid documents; other files still do.
    const failingFiles = new Set(errors.map((d) => d.file));
    for (const declaration of snapshot.declarations) expect(failingFiles).not.toContain(declaration.location.file);
    expect(ids(snapshot)).toEqual([...expected.declarations].sort());
  });
});

describe('the warning-only corpus', () => {
  it('has at least 2 cases', () => {
    expect(warningCases.length).toBeGreaterThanOrEqual(2);
  });

  it.concurrent.for(warningCases)('$name', async ({ expected, files }, { expect }) => {
    // Act
    const snapshot = await load(files);

    // Assess
    expect(expected.diagnostics).toEqual([]);
    expect(ofSeverity(snapshot, 'error')).toEqual([]);
    expect(places(ofSeverity(snapshot, 'warning'))).toEqual(places(expected.warnings ?? []));
    expectWellFormed(expect, snapshot.diagnostics);
    expectMessages(expect, snapshot.diagnostics, expected.messages);
    expect(snapshot.pruneBlocked).toBe(false);
    expect(ids(snapshot)).toEqual([...expected.declarations].sort());
  });
});

describe('bad inputs that only git can hold', () => {
  it('refuses a declaration file and a template that are symbolic links', async () => {
    // Prepare
    const linkedStack = baseFiles['stacks/network.yaml']!.replace('platform-network', 'platform-linked').replace(
      'template: network.template.yaml',
      'template: linked.template.yaml',
    );

    // Act
    const snapshot = await load(baseFiles, async (repo) => {
      await repo.symlink('services/linked.yaml', 'web.yaml');
      await repo.symlink('stacks/linked.template.yaml', 'network.template.yaml');
      await repo.commit({ 'stacks/linked.yaml': linkedStack }, 'links');
    });

    // Assess
    expectWellFormed(expect, snapshot.diagnostics);
    // The linked template is refused twice: as a file of the repository, and as the template of its stack.
    expect(places(snapshot.diagnostics)).toEqual([
      { code: 'E_PATH', file: 'services/linked.yaml', line: 1 },
      { code: 'E_PATH', file: 'stacks/linked.template.yaml', line: 1 },
      { code: 'E_PATH', file: 'stacks/linked.yaml', line: 6 },
    ]);
    expect(snapshot.diagnostics.map((d) => d.message)).toEqual([
      'the file is a symbolic link; driftless does not follow links',
      'the file is a symbolic link; driftless does not follow links',
      'template stacks/linked.template.yaml is a symbolic link; driftless does not follow links',
    ]);
    expect(snapshot.pruneBlocked).toBe(true);
    expect(ids(snapshot)).toEqual(BASE_IDS);
  });

  it('refuses a declaration file over MAX_FILE_BYTES without parsing it', async () => {
    // Prepare
    const padding = `# ${'x'.repeat(97)}\n`.repeat(Math.ceil(MAX_FILE_BYTES / 100) + 1);
    const big = baseFiles['services/web.yaml']!.replace('name: web', 'name: big') + padding;
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_FILE_BYTES);

    // Act
    const snapshot = await load({ ...baseFiles, 'services/big.yaml': big });

    // Assess
    expectWellFormed(expect, snapshot.diagnostics);
    expect(places(snapshot.diagnostics)).toEqual([{ code: 'E_SIZE', file: 'services/big.yaml', line: 1 }]);
    expect(snapshot.diagnostics[0]?.message).toContain(`the limit is ${MAX_FILE_BYTES} bytes`);
    expect(snapshot.pruneBlocked).toBe(true);
    expect(ids(snapshot)).toEqual(BASE_IDS);
  });
});

/** The bad-input corpus: every case in test/fixtures/invalid (and the warning-only cases in test/fixtures/warnings)
 * is a small configuration repository built on top of a valid base. Each one is committed to a real git repository
 * and loaded through LocalGitSource, and the diagnostics must be exactly the ones the case expects. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../../shared/spec/diagnostics.ts';
import { loadRepository, type RepositorySnapshot } from '../../../shared/spec/repository.ts';
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
}

interface Case {
  readonly name: string;
  readonly expected: Expected;
  readonly files: Record<string, string>;
}

/** Every file under `dir`, by '/'-separated path relative to it. */
function readTree(dir: string, relative = ''): Record<string, string> {
  const files: Record<string, string> = {};
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
      const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as Expected;
      const files: Record<string, string> = expected.withoutBase ? {} : { ...baseFiles };
      for (const path of expected.remove ?? []) {
        if (!(path in files)) throw new Error(`${name}: remove names ${path}, which is not a base file`);
        delete files[path];
      }
      Object.assign(files, readTree(join(root, name, 'files')));
      return { name, expected, files };
    });
}

const invalidCases = loadCases(INVALID);
const warningCases = loadCases(WARNINGS);

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repoWith(files: FileChanges): Promise<TestRepo> {
  const repo = await makeRepo(files);
  cleanups.push(() => repo.cleanup());
  return repo;
}

async function load(files: FileChanges): Promise<RepositorySnapshot> {
  const repo = await repoWith(files);
  return loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'main' });
}

const where = (d: ExpectedDiagnostic): ExpectedDiagnostic => ({ code: d.code, file: d.file, line: d.line });
const byPlace = (a: ExpectedDiagnostic, b: ExpectedDiagnostic) =>
  a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code);
const places = (list: readonly ExpectedDiagnostic[]) => list.map(where).sort(byPlace);
const ofSeverity = (snapshot: RepositorySnapshot, severity: Diagnostic['severity']) =>
  snapshot.diagnostics.filter((d) => d.severity === severity);

/** What every diagnostic must be, whatever the case: a known code, a position, and a sentence a person can read. */
function expectWellFormed(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(Object.keys(DIAGNOSTIC_CODES)).toContain(d.code);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(10);
    expect(d.message).not.toMatch(/undefined|\[object Object\]|NaN/);
  }
}

describe('the corpus base', () => {
  it('loads with no diagnostics and two declarations', async () => {
    // Act
    const snapshot = await load(baseFiles);

    // Assess
    expect(snapshot.diagnostics).toEqual([]);
    expect(snapshot.pruneBlocked).toBe(false);
    expect(snapshot.settings?.location.file).toBe('driftless.yaml');
    expect(snapshot.declarations.map((d) => d.id)).toEqual([
      'CloudFormationStack:platform-network',
      'EcsService:prod/web',
    ]);
    expect(snapshot.declarations.map((d) => d.location.file)).toEqual(['stacks/network.yaml', 'services/web.yaml']);
  });
});

describe('the bad-input corpus', () => {
  it('has at least 32 cases', () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(32);
  });

  it.each(invalidCases)('$name', async ({ expected, files }) => {
    // Act
    const snapshot = await load(files);

    // Assess
    const errors = ofSeverity(snapshot, 'error');
    expect(places(errors)).toEqual(places(expected.diagnostics));
    if (expected.warnings) expect(places(ofSeverity(snapshot, 'warning'))).toEqual(places(expected.warnings));
    expectWellFormed(snapshot.diagnostics);
    expect(snapshot.pruneBlocked).toBe(true);
    // A file with an error contributes nothing, not even its valid documents.
    const failingFiles = new Set(errors.map((d) => d.file));
    for (const declaration of snapshot.declarations) expect(failingFiles).not.toContain(declaration.location.file);
    expect(snapshot.declarations.map((d) => d.id)).toEqual([...expected.declarations].sort());
  });
});

describe('the warning-only corpus', () => {
  it('has cases', () => {
    expect(warningCases.length).toBeGreaterThanOrEqual(2);
  });

  it.each(warningCases)('$name', async ({ expected, files }) => {
    // Act
    const snapshot = await load(files);

    // Assess
    expect(ofSeverity(snapshot, 'error')).toEqual([]);
    expect(expected.diagnostics).toEqual([]);
    expect(places(ofSeverity(snapshot, 'warning'))).toEqual(places(expected.warnings ?? []));
    expectWellFormed(snapshot.diagnostics);
    expect(snapshot.pruneBlocked).toBe(false);
    expect(snapshot.declarations.map((d) => d.id)).toEqual([...expected.declarations].sort());
  });
});

describe('bad inputs git itself has to make', () => {
  it('refuses a declaration file and a template that are symbolic links', async () => {
    // Prepare
    const repo = await repoWith(baseFiles);
    await repo.symlink('services/linked.yaml', 'web.yaml');
    await repo.symlink('stacks/linked.template.yaml', 'network.template.yaml');
    await repo.commit(
      {
        'stacks/linked.yaml': baseFiles['stacks/network.yaml']!.replace('platform-network', 'platform-linked').replace(
          'template: network.template.yaml',
          'template: linked.template.yaml',
        ),
      },
      'links',
    );

    // Act
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'main' });

    // Assess
    expectWellFormed(snapshot.diagnostics);
    expect(places(snapshot.diagnostics)).toEqual([
      { code: 'E_PATH', file: 'services/linked.yaml', line: 1 },
      { code: 'E_PATH', file: 'stacks/linked.yaml', line: 6 },
    ]);
    expect(snapshot.diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('symbolic link'),
      expect.stringContaining('symbolic link'),
    ]);
    expect(snapshot.pruneBlocked).toBe(true);
    expect(snapshot.declarations.map((d) => d.id)).toEqual([
      'CloudFormationStack:platform-network',
      'EcsService:prod/web',
    ]);
  });

  it('refuses a declaration file over MAX_FILE_BYTES without parsing it', async () => {
    // Prepare
    const padding = `# ${'x'.repeat(98)}\n`.repeat(Math.ceil(MAX_FILE_BYTES / 100) + 1);
    const big = baseFiles['services/web.yaml']!.replace('name: web', 'name: big') + padding;
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_FILE_BYTES);

    // Act
    const snapshot = await load({ ...baseFiles, 'services/big.yaml': big });

    // Assess
    expectWellFormed(snapshot.diagnostics);
    expect(places(snapshot.diagnostics)).toEqual([{ code: 'E_SIZE', file: 'services/big.yaml', line: 1 }]);
    expect(snapshot.diagnostics[0]?.message).toContain(String(MAX_FILE_BYTES));
    expect(snapshot.pruneBlocked).toBe(true);
    expect(snapshot.declarations.map((d) => d.id)).toEqual([
      'CloudFormationStack:platform-network',
      'EcsService:prod/web',
    ]);
  });
});

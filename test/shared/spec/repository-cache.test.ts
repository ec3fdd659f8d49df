import { afterEach, describe, expect, it } from 'vitest';
import { fleetFiles, MemoryGitSource } from '../../../bench/support.ts';
import type { GitSource } from '../../../shared/source/git-source.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { checkFilesHere, type FileChecker } from '../../../shared/spec/declaration-files.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../../support/git-repo.ts';

/** Counts file reads, to show what a warm cache saves. */
function counting(source: GitSource): GitSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    description: source.description,
    reads,
    resolveRef: (ref) => source.resolveRef(ref),
    listFiles: (commit, prefix) => source.listFiles(commit, prefix),
    readFile: (commit, path) => {
      reads.push(path);
      return source.readFile(commit, path);
    },
    changedFiles: (from, to, prefix) => source.changedFiles(from, to, prefix),
    commitInfo: (commit) => source.commitInfo(commit),
  };
}

describe('loadRepository with a blob cache', () => {
  let repo: TestRepo | undefined;
  afterEach(async () => repo?.cleanup());

  it('reads only the files a new commit changed, and loads the same declarations', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const source = counting(new LocalGitSource({ repoDir: repo.dir }));
    const cache = new Map<string, string>();
    await loadRepository(source, { ref: 'main', blobCache: cache });
    const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
    await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, 'bump');
    source.reads.length = 0;

    // Act
    const warm = await loadRepository(source, { ref: 'main', blobCache: cache });
    const cold = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'main' });

    // Assess
    expect(source.reads).toEqual(['services/web.yaml']);
    expect(warm.declarations).toEqual(cold.declarations);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
  });
});

describe('loadRepository with a blob cache, a repository of more than 10,000 files', () => {
  it('parses again only the file a new commit changed, however many files the repository holds', async () => {
    // Prepare: more files than the parse cache once held, when it emptied itself on every load of such a repository.
    const files = fleetFiles(10_050);
    const source = new MemoryGitSource(files, 0);
    const parsed: string[] = [];
    const checkFiles: FileChecker = (texts, limits) => {
      parsed.push(...texts.map(([path]) => path));
      return checkFilesHere(texts, limits);
    };
    const blobCache = new Map<string, string>();
    await loadRepository(source, { ref: 'main', blobCache, checkFiles });
    const coldParses = parsed.length;
    const [changedPath, changedText] = [...files].find(
      ([path]) => path.endsWith('.yaml') && path !== 'driftless.yaml',
    )!;
    source.commit(new Map([...files, [changedPath, changedText.replace('1.0.0', '1.0.1')]]));
    parsed.length = 0;

    // Act
    const warm = await loadRepository(source, { ref: 'main', blobCache, checkFiles });
    const reparsed = parsed.splice(0);
    await loadRepository(source, { ref: 'main', blobCache, checkFiles });

    // Assess
    expect(coldParses).toBeGreaterThan(10_000);
    expect(reparsed).toEqual([changedPath]);
    expect(parsed).toEqual([]);
    expect(warm.declarations).toHaveLength(10_050);
  }, 120_000);
});

describe('loadRepository of some files only', () => {
  let repo: TestRepo | undefined;
  afterEach(async () => repo?.cleanup());

  it('reads the named declaration files and the settings file, and loads just their declarations', async () => {
    // Prepare
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    const source = counting(new LocalGitSource({ repoDir: repo.dir }));

    // Act
    const partial = await loadRepository(source, { ref: 'main', only: new Set(['services/web.yaml']) });

    // Assess
    expect(partial.declarations.map((declaration) => declaration.id)).toEqual(['EcsService:prod/web']);
    expect(partial.settings?.location.file).toBe('driftless.yaml');
    expect([...source.reads].sort()).toEqual(['driftless.yaml', 'services/web.yaml']);
    expect(partial.diagnostics.filter((found) => found.severity === 'error')).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitLabServer, startGitLabServer } from '../../../shared/sim/gitlab-server.ts';
import { GitLabGitSource } from '../../../shared/source/gitlab.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../../support/git-repo.ts';

describe('loadRepository over GitLabGitSource', () => {
  let server: GitLabServer;
  let repo: TestRepo;
  let gitLab: GitLabGitSource;

  beforeAll(async () => {
    const files = await readTree(EXAMPLE_REPO_DIR);
    repo = await makeRepo(files);
    server = await startGitLabServer({ pathPrefix: '/gitlab', maxPerPage: 3 });
    const token = randomBytes(16).toString('hex');
    server.state.addToken(token, 'project_7_bot');
    server.state.addProject('platform/config').commit({ branch: 'main', files });
    gitLab = new GitLabGitSource({ project: 'platform/config', baseUrl: server.url, token: async () => token });
  });

  afterAll(async () => {
    await server.close();
    await repo.cleanup();
  });

  it('gives the same snapshot of examples/config-repo as a local clone, listing files with the same blob ids', async () => {
    // Act
    const local = new LocalGitSource({ repoDir: repo.dir });
    const [fromGitLab, fromDisk] = [
      await loadRepository(gitLab, { ref: 'main' }),
      await loadRepository(local, { ref: 'main' }),
    ];
    const [listedGitLab, listedDisk] = [
      await gitLab.listFiles(fromGitLab.commitId, ''),
      await local.listFiles(fromDisk.commitId, ''),
    ];

    // Assess
    expect(fromGitLab.diagnostics).toEqual([]);
    expect(fromGitLab.declarations.length).toBeGreaterThan(0);
    expect({ ...fromGitLab, commitId: 'same' }).toEqual({ ...fromDisk, commitId: 'same' });
    expect(listedGitLab.map(({ path, blobId, type }) => ({ path, blobId, type }))).toEqual(
      listedDisk.map(({ path, blobId, type }) => ({ path, blobId, type })),
    );
  });

  it('reads a commit again from a warm function’s caches, sending no request', async () => {
    // Arrange
    const blobCache = new Map<string, string>();
    const commitId = await gitLab.resolveRef('main');
    await loadRepository(gitLab, { ref: commitId, blobCache });
    const before = server.state.requests.length;

    // Act
    await loadRepository(gitLab, { ref: commitId, blobCache });

    // Assess
    expect(server.state.requests.slice(before)).toEqual([]);
  });
});

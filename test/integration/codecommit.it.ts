/** CodeCommitGitSource against an existing repository (DRIFTLESS_IT_CODECOMMIT_REPOSITORY), read-only: its default
 * branch resolves to a commit, whose files list and read back as CodeCommit stores them. */
import { type CodeCommitClient, GetBlobCommand, GetRepositoryCommand } from '@aws-sdk/client-codecommit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCommitClient } from '../../shared/aws/clients.ts';
import { RefNotFoundError } from '../../shared/errors.ts';
import { CodeCommitGitSource } from '../../shared/source/codecommit.ts';
import { compareStrings } from '../../shared/util.ts';
import { clientOptions, providedTarget, runs, uniqueNamespace } from './target.ts';

const target = providedTarget();

describe.runIf(runs(target, 'codecommit'))(`CodeCommitGitSource against the ${target.kind} target`, () => {
  const repositoryName = target.codeCommitRepository ?? '';
  let client: CodeCommitClient | undefined;
  let source: CodeCommitGitSource;
  let commitId: string;

  beforeAll(async () => {
    client = codeCommitClient(clientOptions(target));
    source = new CodeCommitGitSource({ repositoryName, client });
    const { repositoryMetadata } = await client.send(new GetRepositoryCommand({ repositoryName }));
    const branch = repositoryMetadata?.defaultBranch;
    if (!branch) {
      throw new Error(`CodeCommit repository ${repositoryName} has no default branch: push a commit to it first`);
    }
    commitId = await source.resolveRef(branch);
  });

  afterAll(() => {
    client?.destroy();
  });

  it('resolves the default branch to a full commit id that resolves to itself', async () => {
    expect(commitId).toMatch(/^[0-9a-f]{40}$/);
    expect(await source.resolveRef(commitId)).toBe(commitId);
    const info = await source.commitInfo(commitId);
    expect(info.commitId).toBe(commitId);
    expect(Number.isNaN(Date.parse(info.committer.date))).toBe(false);
  });

  it('lists every file of the commit and reads one exactly as CodeCommit stores it', async () => {
    const files = await source.listFiles(commitId, '');
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((file) => file.path)).toEqual(files.map((file) => file.path).sort(compareStrings));
    for (const file of files) expect(file.path.startsWith('/')).toBe(false);

    const file = files.find((entry) => entry.type === 'file');
    expect(file).toBeDefined();
    const content = await source.readFile(commitId, file!.path);
    const { content: blob } = await client!.send(new GetBlobCommand({ repositoryName, blobId: file!.blobId }));
    expect(Buffer.from(content).equals(Buffer.from(blob ?? new Uint8Array()))).toBe(true);
  });

  it('reports a branch that does not exist as RefNotFoundError', async () => {
    await expect(source.resolveRef(`${uniqueNamespace()}-absent`)).rejects.toBeInstanceOf(RefNotFoundError);
  });
});

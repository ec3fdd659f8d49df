import {
  BranchDoesNotExistException,
  CodeCommitClient,
  CodeCommitServiceException,
  FileDoesNotExistException,
  FileTooLargeException,
  FolderDoesNotExistException,
  GetBranchCommand,
  GetCommitCommand,
  GetDifferencesCommand,
  GetFileCommand,
  GetFolderCommand,
  InvalidRepositoryNameException,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTooLargeError, GitReadError, GitUnavailableError, RefNotFoundError } from '../../../shared/errors.ts';
import { CodeCommitGitSource } from '../../../shared/source/codecommit.ts';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';

const REPOSITORY = 'platform-config';
const HEAD = 'c5709475a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PARENT = '317f8570a1b2c3d4e5f60718293a4b5c6d7e8f90';

function realClient(): CodeCommitClient {
  return new CodeCommitClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 3,
  });
}

function source(): CodeCommitGitSource {
  return new CodeCommitGitSource({ repositoryName: REPOSITORY, client: realClient() });
}

function throttling(): CodeCommitServiceException {
  return new CodeCommitServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 3 },
    message: 'Rate exceeded',
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('CodeCommitGitSource', () => {
  const codeCommit = mockClient(CodeCommitClient);

  afterEach(() => {
    codeCommit.reset();
  });

  describe('resolveRef', () => {
    it('resolves a branch to the commit at its head', async () => {
      // Prepare
      codeCommit.on(GetBranchCommand).resolves({ branch: { branchName: 'main', commitId: HEAD } });

      // Act
      const commitId = await source().resolveRef('main');

      // Assess
      expect(commitId).toBe(HEAD);
      expect(codeCommit).toHaveReceivedCommandWith(GetBranchCommand, {
        repositoryName: REPOSITORY,
        branchName: 'main',
      });
    });

    it('checks a full commit id with GetCommit instead of looking up a branch', async () => {
      // Prepare
      codeCommit.on(GetCommitCommand).resolves({ commit: { commitId: HEAD, parents: [PARENT] } });

      // Act
      const commitId = await source().resolveRef(HEAD);

      // Assess
      expect(commitId).toBe(HEAD);
      expect(codeCommit).toHaveReceivedCommandWith(GetCommitCommand, { repositoryName: REPOSITORY, commitId: HEAD });
      expect(codeCommit).toHaveReceivedCommandTimes(GetBranchCommand, 0);
    });

    it('reports a missing branch as RefNotFoundError', async () => {
      // Prepare
      codeCommit
        .on(GetBranchCommand)
        .rejects(new BranchDoesNotExistException({ message: 'Branch does not exist', $metadata: {} }));

      // Act
      const error = await rejectionOf(source().resolveRef('no-such-branch'));

      // Assess
      expect(error).toBeInstanceOf(RefNotFoundError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringContaining('no-such-branch') });
      expect((error as Error).cause).toBeInstanceOf(BranchDoesNotExistException);
    });
  });

  describe('listFiles', () => {
    it('walks nested folders and lists files and symlinks by path from the repository root', async () => {
      // Prepare
      codeCommit
        .on(GetFolderCommand, { folderPath: '/services' })
        .resolves({
          commitId: HEAD,
          folderPath: 'services',
          treeId: 'd5e92ae3a',
          files: [
            { absolutePath: 'services/defaults.yaml', relativePath: 'defaults.yaml', blobId: 'b1', fileMode: 'NORMAL' },
          ],
          subFolders: [
            { absolutePath: 'services/web', relativePath: 'web', treeId: 't1' },
            { absolutePath: 'services/api', relativePath: 'api', treeId: 't2' },
          ],
          symbolicLinks: [],
          subModules: [{ absolutePath: 'services/vendored', relativePath: 'vendored', commitId: PARENT }],
        })
        .on(GetFolderCommand, { folderPath: '/services/api' })
        .resolves({
          commitId: HEAD,
          folderPath: 'services/api',
          files: [{ absolutePath: 'services/api/service.yaml', relativePath: 'service.yaml', blobId: 'b2' }],
          subFolders: [{ absolutePath: 'services/api/env', relativePath: 'env', treeId: 't3' }],
          symbolicLinks: [
            {
              absolutePath: 'services/api/current.yaml',
              relativePath: 'current.yaml',
              blobId: 'b3',
              fileMode: 'SYMLINK',
            },
          ],
        })
        .on(GetFolderCommand, { folderPath: '/services/api/env' })
        .resolves({
          commitId: HEAD,
          folderPath: 'services/api/env',
          files: [{ absolutePath: 'services/api/env/prod.yaml', relativePath: 'prod.yaml', blobId: 'b4' }],
        })
        .on(GetFolderCommand, { folderPath: '/services/web' })
        .resolves({
          commitId: HEAD,
          folderPath: 'services/web',
          files: [
            { absolutePath: 'services/web/run.sh', relativePath: 'run.sh', blobId: 'b5', fileMode: 'EXECUTABLE' },
          ],
        });

      // Act
      const files = await source().listFiles(HEAD, 'services');

      // Assess
      expect(files).toEqual([
        { path: 'services/api/current.yaml', blobId: 'b3', type: 'symlink' },
        { path: 'services/api/env/prod.yaml', blobId: 'b4', type: 'file' },
        { path: 'services/api/service.yaml', blobId: 'b2', type: 'file' },
        { path: 'services/defaults.yaml', blobId: 'b1', type: 'file' },
        { path: 'services/web/run.sh', blobId: 'b5', type: 'file' },
      ]);
      expect(codeCommit).toHaveReceivedCommandTimes(GetFolderCommand, 4);
      expect(codeCommit).toHaveReceivedCommandWith(GetFolderCommand, {
        repositoryName: REPOSITORY,
        commitSpecifier: HEAD,
        folderPath: '/services/api/env',
      });
    });

    it('lists the repository root with folder path "/"', async () => {
      // Prepare
      codeCommit.on(GetFolderCommand).resolves({
        commitId: HEAD,
        folderPath: '',
        files: [{ absolutePath: 'README.md', relativePath: 'README.md', blobId: 'b1', fileMode: 'NORMAL' }],
        subFolders: [],
      });

      // Act
      const files = await source().listFiles(HEAD, '');

      // Assess
      expect(files).toEqual([{ path: 'README.md', blobId: 'b1', type: 'file' }]);
      expect(codeCommit).toHaveReceivedCommandWith(GetFolderCommand, { folderPath: '/' });
    });

    it('answers an empty list when the prefix folder does not exist at the commit', async () => {
      // Prepare
      codeCommit
        .on(GetFolderCommand)
        .rejects(new FolderDoesNotExistException({ message: 'The specified folder does not exist.', $metadata: {} }));

      // Act
      const files = await source().listFiles(HEAD, 'not-yet-created');

      // Assess
      expect(files).toEqual([]);
    });

    it('fails rather than answering a partial or empty list when a subfolder cannot be read', async () => {
      // Prepare
      codeCommit
        .on(GetFolderCommand, { folderPath: '/services' })
        .resolves({
          commitId: HEAD,
          folderPath: 'services',
          files: [{ absolutePath: 'services/defaults.yaml', relativePath: 'defaults.yaml', blobId: 'b1' }],
          subFolders: [{ absolutePath: 'services/api', relativePath: 'api', treeId: 't2' }],
        })
        .on(GetFolderCommand, { folderPath: '/services/api' })
        .rejects(
          new CodeCommitServiceException({
            name: 'InternalFailure',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
            message: 'We encountered an internal error.',
          }),
        );

      // Act
      const error = await rejectionOf(source().listFiles(HEAD, 'services'));

      // Assess
      expect(error).toBeInstanceOf(GitUnavailableError);
      expect(error).toMatchObject({
        retryable: true,
        message: `CodeCommit GetFolder ${REPOSITORY}@${HEAD}:/services/api failed: We encountered an internal error.`,
      });
    });
  });

  describe('readFile', () => {
    it('returns the content of the file at the commit', async () => {
      // Prepare
      const content = new TextEncoder().encode('image: nginx:1.27\n');
      codeCommit.on(GetFileCommand).resolves({
        commitId: HEAD,
        blobId: 'b2',
        filePath: 'services/api/service.yaml',
        fileMode: 'NORMAL',
        fileSize: content.byteLength,
        fileContent: content,
      });

      // Act
      const read = await source().readFile(HEAD, 'services/api/service.yaml');

      // Assess
      expect(read).toEqual(content);
      expect(codeCommit).toHaveReceivedCommandWith(GetFileCommand, {
        repositoryName: REPOSITORY,
        commitSpecifier: HEAD,
        filePath: 'services/api/service.yaml',
      });
    });

    it('refuses a file CodeCommit reports as too large with FileTooLargeError', async () => {
      // Prepare
      codeCommit.on(GetFileCommand).rejects(
        new FileTooLargeException({
          message: 'The specified file exceeds the file size limit for CodeCommit.',
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const error = await rejectionOf(source().readFile(HEAD, 'assets/huge.bin'));

      // Assess
      expect(error).toBeInstanceOf(FileTooLargeError);
      expect(error).toMatchObject({ path: 'assets/huge.bin', limitBytes: MAX_FILE_BYTES, retryable: false });
      expect((error as FileTooLargeError).sizeBytes).toBeGreaterThan(MAX_FILE_BYTES);
    });

    it('refuses a file whose reported size is over the limit', async () => {
      // Prepare
      codeCommit.on(GetFileCommand).resolves({
        commitId: HEAD,
        blobId: 'b9',
        filePath: 'assets/big.bin',
        fileMode: 'NORMAL',
        fileSize: MAX_FILE_BYTES + 10,
        fileContent: new Uint8Array(1),
      });

      // Act
      const error = await rejectionOf(source().readFile(HEAD, 'assets/big.bin'));

      // Assess
      expect(error).toBeInstanceOf(FileTooLargeError);
      expect(error).toMatchObject({ path: 'assets/big.bin', sizeBytes: MAX_FILE_BYTES + 10 });
    });

    it('reports a missing file as a GitReadError naming the path', async () => {
      // Prepare
      codeCommit
        .on(GetFileCommand)
        .rejects(new FileDoesNotExistException({ message: 'The specified file does not exist.', $metadata: {} }));

      // Act
      const error = await rejectionOf(source().readFile(HEAD, 'services/gone.yaml'));

      // Assess
      expect(error).toBeInstanceOf(GitReadError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringContaining('services/gone.yaml') });
    });
  });

  describe('changedFiles', () => {
    it('collects every page of GetDifferences and maps each change type', async () => {
      // Prepare
      codeCommit
        .on(GetDifferencesCommand, { NextToken: undefined })
        .resolves({
          differences: [
            {
              changeType: 'M',
              beforeBlob: { path: 'services/api/service.yaml', blobId: 'bf7fcf28', mode: '100644' },
              afterBlob: { path: 'services/api/service.yaml', blobId: '2eb4af3b', mode: '100644' },
            },
            { changeType: 'A', afterBlob: { path: 'services/web/service.yaml', blobId: 'b5', mode: '100644' } },
          ],
          NextToken: 'page-2',
        })
        .on(GetDifferencesCommand, { NextToken: 'page-2' })
        .resolves({
          differences: [
            { changeType: 'D', beforeBlob: { path: 'services/old/service.yaml', blobId: 'b6', mode: '100644' } },
            {
              changeType: 'M',
              beforeBlob: { path: 'services/batch/task.yaml', blobId: 'b7', mode: '100644' },
              afterBlob: { path: 'services/jobs/task.yaml', blobId: 'b7', mode: '100644' },
            },
          ],
        });

      // Act
      const changes = await source().changedFiles(PARENT, HEAD, 'services');

      // Assess
      expect(changes).toEqual([
        { kind: 'modified', path: 'services/api/service.yaml' },
        { kind: 'renamed', path: 'services/jobs/task.yaml', previousPath: 'services/batch/task.yaml' },
        { kind: 'deleted', path: 'services/old/service.yaml' },
        { kind: 'added', path: 'services/web/service.yaml' },
      ]);
      expect(codeCommit).toHaveReceivedCommandTimes(GetDifferencesCommand, 2);
      expect(codeCommit).toHaveReceivedNthCommandWith(GetDifferencesCommand, 2, {
        repositoryName: REPOSITORY,
        beforeCommitSpecifier: PARENT,
        afterCommitSpecifier: HEAD,
        MaxResults: 100,
        NextToken: 'page-2',
      });
    });

    it('keeps only changes under the prefix, filtering on our side', async () => {
      // Prepare
      codeCommit.on(GetDifferencesCommand).resolves({
        differences: [
          { changeType: 'A', afterBlob: { path: 'services/api/service.yaml', blobId: 'b2', mode: '100644' } },
          { changeType: 'A', afterBlob: { path: 'services-old/api.yaml', blobId: 'b3', mode: '100644' } },
          { changeType: 'A', afterBlob: { path: 'README.md', blobId: 'b1', mode: '100644' } },
        ],
      });

      // Act
      const changes = await source().changedFiles(PARENT, HEAD, 'services');

      // Assess
      expect(changes).toEqual([{ kind: 'added', path: 'services/api/service.yaml' }]);
      const input = codeCommit.commandCalls(GetDifferencesCommand)[0]?.args[0].input;
      expect(input).not.toHaveProperty('beforePath');
      expect(input).not.toHaveProperty('afterPath');
    });
  });

  describe('commitInfo', () => {
    it("converts CodeCommit's raw git dates to ISO-8601", async () => {
      // Prepare
      codeCommit.on(GetCommitCommand).resolves({
        commit: {
          commitId: HEAD,
          treeId: '1f330709',
          parents: [PARENT],
          message: 'Scale api to 3 tasks\n',
          author: { name: 'Mary Major', email: 'mary_major@example.com', date: '1484167798 -0800' },
          committer: { name: 'Li Juan', email: 'li_juan@example.com', date: '1508280564 +0200' },
          additionalData: '',
        },
      });

      // Act
      const info = await source().commitInfo(HEAD);

      // Assess
      expect(info).toEqual({
        commitId: HEAD,
        parents: [PARENT],
        message: 'Scale api to 3 tasks\n',
        author: { name: 'Mary Major', email: 'mary_major@example.com', date: '2017-01-11T20:49:58.000Z' },
        committer: { name: 'Li Juan', email: 'li_juan@example.com', date: '2017-10-17T22:49:24.000Z' },
      });
    });
  });

  describe('errors', () => {
    it('surfaces throttling that outlasted the client retries as a retryable GitReadError, and a retry can succeed', async () => {
      // Prepare: aws-sdk-client-mock replaces send(), so the client's own retries never run here; the first
      // rejection stands for throttling that survived all of them.
      const gitSource = source();
      codeCommit
        .on(GetBranchCommand)
        .rejectsOnce(throttling())
        .resolves({ branch: { branchName: 'main', commitId: HEAD } });

      // Act
      const error = await rejectionOf(gitSource.resolveRef('main'));
      const commitId = await gitSource.resolveRef('main');

      // Assess
      expect(error).toBeInstanceOf(GitUnavailableError);
      expect(error).not.toBeInstanceOf(RefNotFoundError);
      expect(error).toMatchObject({
        retryable: true,
        message: `CodeCommit GetBranch ${REPOSITORY}@main failed: Rate exceeded`,
      });
      expect((error as Error).cause).toMatchObject({ name: 'ThrottlingException' });
      expect(commitId).toBe(HEAD);
    });

    it('marks a failure no retry can fix as not retryable', async () => {
      // Prepare
      codeCommit.on(GetCommitCommand).rejects(
        new InvalidRepositoryNameException({
          message: 'The specified repository name is not valid.',
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const error = await rejectionOf(source().commitInfo(HEAD));

      // Assess
      expect(error).toBeInstanceOf(GitReadError);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).cause).toBeInstanceOf(InvalidRepositoryNameException);
    });

    it('fails a diff whose page cannot be read instead of returning the pages read so far', async () => {
      // Prepare
      codeCommit
        .on(GetDifferencesCommand, { NextToken: undefined })
        .resolves({
          differences: [{ changeType: 'A', afterBlob: { path: 'services/web/service.yaml', blobId: 'b5' } }],
          NextToken: 'page-2',
        })
        .on(GetDifferencesCommand, { NextToken: 'page-2' })
        .rejects(throttling());

      // Act
      const error = await rejectionOf(source().changedFiles(PARENT, HEAD));

      // Assess
      expect(error).toBeInstanceOf(GitUnavailableError);
      expect(error).toMatchObject({ retryable: true });
    });
  });
});

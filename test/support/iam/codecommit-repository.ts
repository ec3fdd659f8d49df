/** The CodeCommit read API (GetBranch, GetCommit, GetFolder, GetFile, GetDifferences) answered from a real local git
 * repository, behind aws-sdk-client-mock, with the response shapes of the CodeCommit API reference: so the functions
 * read their configuration through CodeCommitGitSource, as in production, and the IAM proof sees those calls. */
import {
  BranchDoesNotExistException,
  type CodeCommitClient,
  FolderDoesNotExistException,
  GetBranchCommand,
  GetCommitCommand,
  GetDifferencesCommand,
  GetFileCommand,
  GetFolderCommand,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import type { FileChange, FileEntry, Person } from '../../../shared/source/git-source.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';

const CHANGE_TYPES: Readonly<Record<FileChange['kind'], 'A' | 'M' | 'D'>> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  // CodeCommit has no rename change type: a move is an M whose two sides carry different paths.
  renamed: 'M',
};

/** CodeCommit's UserInfo: the date in git's raw form, seconds and the committer's offset. */
function userInfo(person: Person) {
  return { name: person.name, email: person.email, date: `${Math.floor(Date.parse(person.date) / 1000)} +0000` };
}

/** Answers the CodeCommit reads of `client` from the git repository in `repoDir`; returns the mock to restore. */
export function serveRepository(client: CodeCommitClient, repoDir: string): ReturnType<typeof mockClient> {
  const git = new LocalGitSource({ repoDir });
  const trees = new Map<string, Promise<FileEntry[]>>();
  const tree = (commitId: string) => {
    if (!trees.has(commitId)) trees.set(commitId, git.listFiles(commitId, ''));
    return trees.get(commitId) as Promise<FileEntry[]>;
  };
  const mock = mockClient(client);
  mock.on(GetBranchCommand).callsFake(async (input: { branchName: string }) => {
    try {
      return { branch: { branchName: input.branchName, commitId: await git.resolveRef(input.branchName) } };
    } catch {
      throw new BranchDoesNotExistException({ message: `Branch ${input.branchName} does not exist`, $metadata: {} });
    }
  });
  mock.on(GetCommitCommand).callsFake(async (input: { commitId: string }) => {
    const commit = await git.commitInfo(input.commitId);
    return {
      commit: {
        commitId: commit.commitId,
        treeId: 'e'.repeat(40),
        parents: [...commit.parents],
        message: commit.message,
        author: userInfo(commit.author),
        committer: userInfo(commit.committer),
        additionalData: '',
      },
    };
  });
  mock.on(GetFolderCommand).callsFake(async (input: { commitSpecifier: string; folderPath: string }) => {
    const folder = input.folderPath.replace(/^\/+|\/+$/g, '');
    const inside = (await tree(input.commitSpecifier)).filter(
      (entry) => folder === '' || entry.path.startsWith(`${folder}/`),
    );
    if (folder !== '' && inside.length === 0) {
      throw new FolderDoesNotExistException({ message: `Folder ${input.folderPath} does not exist`, $metadata: {} });
    }
    const relative = (path: string) => (folder === '' ? path : path.slice(folder.length + 1));
    const children = inside.filter((entry) => !relative(entry.path).includes('/'));
    const subFolders = [
      ...new Set(
        inside
          .map((entry) => relative(entry.path).split('/'))
          .filter((parts) => parts.length > 1)
          .map((parts) => parts[0] as string),
      ),
    ];
    return {
      commitId: input.commitSpecifier,
      folderPath: input.folderPath,
      treeId: 'f'.repeat(40),
      subFolders: subFolders.map((name) => ({
        treeId: 'f'.repeat(40),
        absolutePath: folder === '' ? name : `${folder}/${name}`,
        relativePath: name,
      })),
      files: children
        .filter((entry) => entry.type === 'file')
        .map((entry) => ({
          blobId: entry.blobId,
          absolutePath: entry.path,
          relativePath: relative(entry.path),
          fileMode: 'NORMAL',
        })),
      symbolicLinks: [],
      subModules: [],
    };
  });
  mock.on(GetFileCommand).callsFake(async (input: { commitSpecifier: string; filePath: string }) => {
    const content = await git.readFile(input.commitSpecifier, input.filePath);
    const entry = (await tree(input.commitSpecifier)).find((candidate) => candidate.path === input.filePath);
    return {
      commitId: input.commitSpecifier,
      blobId: entry?.blobId ?? 'b'.repeat(40),
      filePath: input.filePath,
      fileMode: 'NORMAL',
      fileSize: content.byteLength,
      fileContent: content,
    };
  });
  mock
    .on(GetDifferencesCommand)
    .callsFake(async (input: { beforeCommitSpecifier: string; afterCommitSpecifier: string }) => {
      const changes = await git.changedFiles(input.beforeCommitSpecifier, input.afterCommitSpecifier);
      const blob = (path: string) => ({ blobId: 'b'.repeat(40), path, mode: '100644' });
      return {
        differences: changes.map((change) => ({
          changeType: CHANGE_TYPES[change.kind],
          ...(change.kind === 'added' ? {} : { beforeBlob: blob(change.previousPath ?? change.path) }),
          ...(change.kind === 'deleted' ? {} : { afterBlob: blob(change.path) }),
        })),
      };
    });
  return mock;
}

/** A GitSource that reads a CodeCommit repository through the CodeCommit API, without cloning it. */
import {
  type CodeCommitClient,
  type Difference,
  type File,
  GetBranchCommand,
  GetCommitCommand,
  GetDifferencesCommand,
  GetFileCommand,
  type GetFileCommandOutput,
  GetFolderCommand,
  type GetFolderCommandOutput,
  type SymbolicLink,
  type UserInfo,
} from '@aws-sdk/client-codecommit';
import { codeCommitClient } from '../aws/clients.ts';
import { errorName, isRetryableAwsError } from '../aws/errors.ts';
import {
  FileTooLargeError,
  GitReadError,
  type GitUnavailableError,
  gitReadFailure,
  RefNotFoundError,
} from '../errors.ts';
import { compareStrings, mapWithConcurrency } from '../util.ts';
import {
  type ChangeKind,
  type CommitInfo,
  type FileChange,
  type FileEntry,
  type GitSource,
  MAX_FILE_BYTES,
  type Person,
} from './git-source.ts';

export interface CodeCommitGitSourceOptions {
  readonly repositoryName: string;
  /** Injected so tests and callers control region, endpoint and retries; built by codeCommitClient() when absent. */
  readonly client?: CodeCommitClient;
}

/** GetFolder lists one folder per call, so a deep tree costs one request per folder; this caps requests in flight. */
const FOLDER_REQUEST_CONCURRENCY = 8;
const DIFFERENCES_PAGE_SIZE = 100;
const FULL_COMMIT_ID = /^[0-9a-f]{40}$/i;
/** CodeCommit dates are git's raw form: seconds since the epoch, then the committer's UTC offset. */
const GIT_RAW_DATE = /^(\d+) [+-]\d{4}$/;

export class CodeCommitGitSource implements GitSource {
  readonly description: string;
  private readonly repositoryName: string;
  private readonly client: CodeCommitClient;

  constructor(options: CodeCommitGitSourceOptions) {
    this.repositoryName = options.repositoryName;
    this.client = options.client ?? codeCommitClient();
    this.description = `CodeCommit repository ${options.repositoryName}`;
  }

  async resolveRef(ref: string): Promise<string> {
    if (FULL_COMMIT_ID.test(ref)) {
      const { commit } = await this.call(
        `GetCommit ${this.repositoryName}@${ref}`,
        () => this.client.send(new GetCommitCommand({ repositoryName: this.repositoryName, commitId: ref })),
        { refNotFound: ref },
      );
      return commit?.commitId ?? ref;
    }
    const { branch } = await this.call(
      `GetBranch ${this.repositoryName}@${ref}`,
      () => this.client.send(new GetBranchCommand({ repositoryName: this.repositoryName, branchName: ref })),
      { refNotFound: ref },
    );
    if (!branch?.commitId) {
      throw new GitReadError(`CodeCommit GetBranch ${this.repositoryName}@${ref} returned no commit id`);
    }
    return branch.commitId;
  }

  async listFiles(commitId: string, prefix: string): Promise<FileEntry[]> {
    const startFolder = trimSlashes(prefix);
    const entries: FileEntry[] = [];
    let level: string[] = [startFolder];
    let isStartFolder = true;
    while (level.length > 0) {
      const listings = await mapWithConcurrency(level, FOLDER_REQUEST_CONCURRENCY, (folder) =>
        this.listFolder(commitId, folder, isStartFolder),
      );
      isStartFolder = false;
      level = [];
      for (const listing of listings) {
        if (listing === undefined) return [];
        entries.push(...listing.entries);
        level.push(...listing.subFolders);
      }
    }
    return entries.sort((a, b) => compareStrings(a.path, b.path));
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    const filePath = trimSlashes(path);
    const target = `${this.repositoryName}@${commitId}:${filePath}`;
    let response: GetFileCommandOutput;
    try {
      response = await this.client.send(
        new GetFileCommand({ repositoryName: this.repositoryName, commitSpecifier: commitId, filePath }),
      );
    } catch (error) {
      if (errorName(error) === 'FileTooLargeException') {
        // CodeCommit refuses without saying how large the file is; just over the limit is the least it can be.
        throw new FileTooLargeError(filePath, MAX_FILE_BYTES + 1, MAX_FILE_BYTES, { cause: error });
      }
      if (errorName(error) === 'FileDoesNotExistException') {
        throw new GitReadError(`file not found: ${filePath} does not exist in ${target}`, { cause: error });
      }
      throw this.wrapError(`GetFile ${target}`, error, { refNotFound: commitId });
    }
    if (response.fileSize !== undefined && response.fileSize > MAX_FILE_BYTES) {
      throw new FileTooLargeError(filePath, response.fileSize, MAX_FILE_BYTES);
    }
    if (response.fileContent === undefined) {
      throw new GitReadError(`CodeCommit GetFile ${target} returned no content`);
    }
    return response.fileContent;
  }

  async changedFiles(fromCommitId: string, toCommitId: string, prefix?: string): Promise<FileChange[]> {
    const folder = prefix === undefined ? '' : trimSlashes(prefix);
    // The path filter of GetDifferences is refused for a folder that exists on one side only, and the reference
    // does not pin down whether filtered paths come back relative to the filter; filtering here avoids both.
    const differences = (await this.getDifferences(fromCommitId, toCommitId)).filter((difference) =>
      [difference.beforeBlob?.path, difference.afterBlob?.path].some((path) => isUnder(path, folder)),
    );
    const target = `${this.repositoryName}@${fromCommitId}..${toCommitId}`;
    const changes = differences.map((difference) => toFileChange(difference, target));
    return changes.sort((a, b) => compareStrings(a.path, b.path));
  }

  async commitInfo(commitId: string): Promise<CommitInfo> {
    const target = `${this.repositoryName}@${commitId}`;
    const { commit } = await this.call(
      `GetCommit ${target}`,
      () => this.client.send(new GetCommitCommand({ repositoryName: this.repositoryName, commitId })),
      { refNotFound: commitId },
    );
    if (!commit) {
      throw new GitReadError(`CodeCommit GetCommit ${target} returned no commit`);
    }
    return {
      commitId: commit.commitId ?? commitId,
      parents: commit.parents ?? [],
      author: toPerson(commit.author, `author of ${target}`),
      committer: toPerson(commit.committer, `committer of ${target}`),
      message: commit.message ?? '',
    };
  }

  /** undefined when the start folder does not exist: an absent prefix really holds no files. */
  private async listFolder(
    commitId: string,
    folder: string,
    isStartFolder: boolean,
  ): Promise<{ entries: FileEntry[]; subFolders: string[] } | undefined> {
    const folderPath = `/${folder}`;
    const target = `${this.repositoryName}@${commitId}:${folderPath}`;
    let response: GetFolderCommandOutput;
    try {
      response = await this.client.send(
        new GetFolderCommand({ repositoryName: this.repositoryName, commitSpecifier: commitId, folderPath }),
      );
    } catch (error) {
      if (isStartFolder && errorName(error) === 'FolderDoesNotExistException') return undefined;
      throw this.wrapError(`GetFolder ${target}`, error, { refNotFound: commitId });
    }
    const entries: FileEntry[] = [
      ...(response.files ?? []).map((file) => toFileEntry(file, 'file', folder, target)),
      ...(response.symbolicLinks ?? []).map((link) => toFileEntry(link, 'symlink', folder, target)),
    ];
    // Submodules are commits of other repositories, not content of this one, so they are not listed.
    const subFolders = (response.subFolders ?? []).map((subFolder) => entryPath(subFolder, folder, target));
    return { entries, subFolders };
  }

  private async getDifferences(fromCommitId: string, toCommitId: string): Promise<Difference[]> {
    const target = `${this.repositoryName}@${fromCommitId}..${toCommitId}`;
    const differences: Difference[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(
        `GetDifferences ${target}`,
        () =>
          this.client.send(
            new GetDifferencesCommand({
              repositoryName: this.repositoryName,
              beforeCommitSpecifier: fromCommitId,
              afterCommitSpecifier: toCommitId,
              MaxResults: DIFFERENCES_PAGE_SIZE,
              NextToken: nextToken,
            }),
          ),
        { refNotFound: `${fromCommitId}..${toCommitId}` },
      );
      differences.push(...(page.differences ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return differences;
  }

  private async call<T>(what: string, request: () => Promise<T>, handling: ErrorHandling): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (handling.passThrough?.includes(errorName(error) ?? '')) throw error;
      throw this.wrapError(what, error, handling);
    }
  }

  private wrapError(what: string, error: unknown, handling: ErrorHandling): GitReadError | GitUnavailableError {
    if (REF_NOT_FOUND_ERROR_NAMES.has(errorName(error) ?? '')) {
      return new RefNotFoundError(`${handling.refNotFound} in ${this.repositoryName}`, { cause: error });
    }
    const reason = error instanceof Error ? error.message || error.name : String(error);
    return gitReadFailure(`CodeCommit ${what} failed: ${reason}`, error, isRetryableAwsError(error));
  }
}

interface ErrorHandling {
  /** The ref or commit named in the RefNotFoundError raised when CodeCommit reports it missing. */
  readonly refNotFound: string;
  /** Error names the caller handles itself, rethrown unwrapped. */
  readonly passThrough?: readonly string[];
}

const REF_NOT_FOUND_ERROR_NAMES = new Set([
  'BranchDoesNotExistException',
  'InvalidBranchNameException',
  'CommitDoesNotExistException',
  'CommitIdDoesNotExistException',
  'InvalidCommitIdException',
  'InvalidCommitException',
]);

function toFileEntry(item: File | SymbolicLink, type: FileEntry['type'], folder: string, target: string): FileEntry {
  const path = entryPath(item, folder, target);
  if (!item.blobId) {
    throw new GitReadError(`CodeCommit GetFolder ${target} returned ${path} without a blob id`);
  }
  return { path, blobId: item.blobId, type };
}

/** absolutePath is relative to the repository root despite its name; relativePath is relative to the folder. */
function entryPath(item: { absolutePath?: string; relativePath?: string }, folder: string, target: string): string {
  if (item.absolutePath) return trimSlashes(item.absolutePath);
  if (item.relativePath) return folder === '' ? item.relativePath : `${folder}/${item.relativePath}`;
  throw new GitReadError(`CodeCommit GetFolder ${target} returned an entry without a path`);
}

function toFileChange(difference: Difference, target: string): FileChange {
  const before = difference.beforeBlob?.path;
  const after = difference.afterBlob?.path;
  const change = (kind: ChangeKind, path: string | undefined, previousPath?: string): FileChange => {
    if (!path) {
      throw new GitReadError(
        `CodeCommit GetDifferences ${target} returned a ${difference.changeType} change without a path`,
      );
    }
    return previousPath === undefined ? { kind, path } : { kind, path, previousPath };
  };
  switch (difference.changeType) {
    case 'A':
      return change('added', after);
    case 'D':
      return change('deleted', before);
    case 'M':
      // CodeCommit has no rename change type: a move is an M whose two sides carry different paths.
      return before !== undefined && after !== undefined && before !== after
        ? change('renamed', after, before)
        : change('modified', after ?? before);
    default:
      throw new GitReadError(`CodeCommit GetDifferences ${target} returned change type ${difference.changeType}`);
  }
}

function toPerson(user: UserInfo | undefined, whose: string): Person {
  return { name: user?.name ?? '', email: user?.email ?? '', date: gitDateToIso(user?.date, whose) };
}

/** "1484167798 -0800" → "2017-01-11T20:49:58.000Z": the instant is kept, the committer's offset is not. */
function gitDateToIso(date: string | undefined, whose: string): string {
  const match = date === undefined ? null : GIT_RAW_DATE.exec(date.trim());
  if (!match) {
    throw new GitReadError(`CodeCommit returned an unreadable date for the ${whose}: ${date}`);
  }
  return new Date(Number(match[1]) * 1000).toISOString();
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function isUnder(path: string | undefined, folder: string): boolean {
  return path !== undefined && (folder === '' || path.startsWith(`${folder}/`));
}

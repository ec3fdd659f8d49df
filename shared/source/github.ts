/**
 * A GitSource that reads a GitHub repository through the REST API, without cloning it: a commit's files in one
 * recursive tree call, each file's bytes from its blob, changes from one compare call. Trees, blobs and commits are
 * immutable by id, so a warm function keeps them and reads only what a new commit changed.
 *
 * Where GitHub answers less than everything: a tree GitHub marks `truncated` (over 100,000 entries or 7 MB) is walked
 * folder by folder under the prefix; a comparison lists at most 300 files, and it is against the merge base, so after
 * a force-push (`behind` or `diverged`) or past 300 files the two commits' trees are compared instead.
 */
import { isRetryableAwsError } from '../aws/errors.ts';
import { FileTooLargeError, GitReadError, GitUnavailableError, RefNotFoundError, RetryableError } from '../errors.ts';
import { compareStrings, mapWithConcurrency } from '../util.ts';
import { BoundedCache } from './bounded-cache.ts';
import type { ChangeKind, CommitInfo, FileChange, FileEntry, GitSource } from './git-source.ts';
import { MAX_FILE_BYTES } from './git-source.ts';
import { type GitHubClientOptions, type GitHubTokenSource, gitHubRestClient } from './github-auth.ts';
import { HostRequestError, type RestClient } from './rest-client.ts';

export interface GitHubGitSourceOptions extends GitHubClientOptions {
  readonly owner: string;
  readonly repo: string;
  readonly auth: GitHubTokenSource;
}

interface TreeEntry {
  readonly path: string;
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly sha: string;
  readonly size?: number;
}

interface TreeAnswer {
  readonly sha: string;
  readonly tree: readonly TreeEntry[];
  readonly truncated: boolean;
}

interface CommitAnswer {
  readonly sha: string;
  readonly message: string;
  readonly author: { name: string; email: string; date: string };
  readonly committer: { name: string; email: string; date: string };
  readonly parents: readonly { sha: string }[];
}

interface CompareAnswer {
  readonly status: 'ahead' | 'behind' | 'diverged' | 'identical';
  readonly files?: readonly { filename: string; status: string; previous_filename?: string }[];
}

/** A commit's whole tree, or the fact that GitHub would only list part of it. */
type WholeTree = { readonly truncated: false; readonly files: readonly FileEntry[] } | { readonly truncated: true };

const FULL_COMMIT_ID = /^[0-9a-f]{40}$/i;
/** Non-recursive tree requests in flight while walking a truncated tree. */
const TREE_REQUEST_CONCURRENCY = 8;
/** GitHub's cap on the files of one comparison: a list this long may be cut short. */
const COMPARE_FILE_LIMIT = 300;
const CACHED_BLOB_BYTES = 32 * 1024 * 1024;
const CACHED_TREES = 8;
const CACHED_FOLDERS = 512;
const CACHED_COMMITS = 256;

export class GitHubGitSource implements GitSource {
  readonly description: string;
  private readonly client: RestClient;
  private readonly repoPath: string;
  private readonly trees = new BoundedCache<string, Promise<WholeTree>>(CACHED_TREES);
  private readonly folders = new BoundedCache<string, readonly TreeEntry[]>(CACHED_FOLDERS);
  private readonly blobs = new BoundedCache<string, Uint8Array>(CACHED_BLOB_BYTES, (bytes) => bytes.length);
  private readonly commits = new BoundedCache<string, Promise<CommitInfo>>(CACHED_COMMITS);

  constructor(options: GitHubGitSourceOptions) {
    this.client = gitHubRestClient(options.auth, options);
    this.repoPath = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`;
    this.description = `GitHub repository ${options.owner}/${options.repo}`;
  }

  async resolveRef(ref: string): Promise<string> {
    if (FULL_COMMIT_ID.test(ref)) return (await this.commitInfo(ref)).commitId;
    const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
    const name = tag === undefined ? `heads/${ref.replace(/^refs\/heads\//, '')}` : `tags/${tag}`;
    const answer = await this.get<{ object?: { sha?: string; type?: string } }>(`/git/ref/${encodePath(name)}`, ref);
    let object = answer.object;
    // An annotated tag points at a tag object, which points at the commit.
    if (object?.type === 'tag' && object.sha) {
      object = (await this.get<{ object?: { sha?: string; type?: string } }>(`/git/tags/${object.sha}`, ref)).object;
    }
    if (!object?.sha) throw new GitReadError(`GitHub answered ${this.description} ref ${ref} without a commit`);
    return object.sha;
  }

  async listFiles(commitId: string, prefix: string): Promise<FileEntry[]> {
    const folder = trimSlashes(prefix);
    const whole = await this.wholeTree(commitId);
    if (!whole.truncated) return whole.files.filter((file) => isUnder(file.path, folder));
    return this.walk(commitId, folder);
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    const filePath = trimSlashes(path);
    const entry = await this.entryAt(commitId, filePath);
    if (!entry) throw new GitReadError(`file not found: ${filePath} does not exist in ${this.where(commitId)}`);
    if (entry.sizeBytes !== undefined && entry.sizeBytes > MAX_FILE_BYTES) {
      throw new FileTooLargeError(filePath, entry.sizeBytes, MAX_FILE_BYTES);
    }
    const cached = this.blobs.get(entry.blobId);
    if (cached) return cached;
    const blob = await this.get<{ content?: string; encoding?: string }>(`/git/blobs/${entry.blobId}`, commitId);
    if (typeof blob.content !== 'string')
      throw new GitReadError(`GitHub answered blob ${entry.blobId} without content`);
    const bytes = new Uint8Array(Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8'));
    if (bytes.length > MAX_FILE_BYTES) throw new FileTooLargeError(filePath, bytes.length, MAX_FILE_BYTES);
    this.blobs.set(entry.blobId, bytes);
    return bytes;
  }

  async changedFiles(fromCommitId: string, toCommitId: string, prefix?: string): Promise<FileChange[]> {
    const folder = prefix === undefined ? '' : trimSlashes(prefix);
    if (fromCommitId === toCommitId) return [];
    const comparison = await this.get<CompareAnswer>(
      `/compare/${encodePath(fromCommitId)}...${encodePath(toCommitId)}`,
      `${fromCommitId}...${toCommitId}`,
    ).catch((error: unknown) => {
      // Also GitHub's answer for histories with no common ancestor (a force-push of a new root): the trees decide.
      if (error instanceof RefNotFoundError) return { status: 'diverged' as const, files: [] };
      throw error;
    });
    const files = comparison.files ?? [];
    // Only when `from` is an ancestor of `to` is the merge base `from`, so the listed diff is the one asked for.
    const listedIsExact =
      (comparison.status === 'ahead' || comparison.status === 'identical') && files.length < COMPARE_FILE_LIMIT;
    const changes = listedIsExact
      ? files.flatMap((file) => toFileChange(file, this.where(`${fromCommitId}...${toCommitId}`)))
      : await this.compareTrees(fromCommitId, toCommitId);
    return changes
      .filter((change) => isUnder(change.path, folder) || isUnder(change.previousPath, folder))
      .sort((a, b) => compareStrings(a.path, b.path));
  }

  /** Kept per full commit id as a promise, so the run's concurrent readers of one commit share one call. */
  commitInfo(commitId: string): Promise<CommitInfo> {
    const cached = this.commits.get(commitId);
    if (cached) return cached;
    const reading = this.get<CommitAnswer>(`/git/commits/${encodePath(commitId)}`, commitId).then(
      (commit): CommitInfo => ({
        commitId: commit.sha,
        parents: commit.parents.map((parent) => parent.sha),
        author: { name: commit.author.name, email: commit.author.email, date: toIso(commit.author.date) },
        committer: { name: commit.committer.name, email: commit.committer.email, date: toIso(commit.committer.date) },
        message: commit.message,
      }),
    );
    if (FULL_COMMIT_ID.test(commitId)) {
      this.commits.set(commitId, reading);
      // A failed read is not remembered: the next caller asks again.
      reading.catch(() => this.commits.delete(commitId));
    }
    return reading;
  }

  /** The commit's files in one recursive call, kept per commit (a promise, so concurrent readers share one call). */
  private wholeTree(commitId: string): Promise<WholeTree> {
    const cached = this.trees.get(commitId);
    if (cached) return cached;
    const reading = this.get<TreeAnswer>(`/git/trees/${encodePath(commitId)}`, commitId, { recursive: 1 }).then(
      (answer): WholeTree =>
        answer.truncated
          ? { truncated: true }
          : {
              truncated: false,
              files: answer.tree
                .flatMap((entry) => toFileEntry(entry, ''))
                .sort((a, b) => compareStrings(a.path, b.path)),
            },
    );
    if (FULL_COMMIT_ID.test(commitId)) {
      this.trees.set(commitId, reading);
      reading.catch(() => this.trees.delete(commitId));
    }
    return reading;
  }

  /** Every file under `folder`, one non-recursive call per folder: for trees GitHub will not list whole. */
  private async walk(commitId: string, folder: string): Promise<FileEntry[]> {
    const start = await this.folderTree(commitId, folder);
    if (start === undefined) return [];
    const files: FileEntry[] = [];
    let level = [{ sha: start, path: folder }];
    while (level.length > 0) {
      const listings = await mapWithConcurrency(level, TREE_REQUEST_CONCURRENCY, async (tree) => ({
        tree,
        entries: await this.folderEntries(tree.sha, commitId),
      }));
      level = [];
      for (const { tree, entries } of listings) {
        files.push(...entries.flatMap((entry) => toFileEntry(entry, tree.path)));
        for (const entry of entries) {
          if (entry.type === 'tree') level.push({ sha: entry.sha, path: joinPath(tree.path, entry.path) });
        }
      }
    }
    return files.sort((a, b) => compareStrings(a.path, b.path));
  }

  /** The tree id of `folder` at the commit, or undefined when there is no such folder. */
  private async folderTree(commitId: string, folder: string): Promise<string | undefined> {
    let sha = commitId;
    for (const name of folder === '' ? [] : folder.split('/')) {
      const entry = (await this.folderEntries(sha, commitId)).find((item) => item.path === name);
      if (entry?.type !== 'tree') return undefined;
      sha = entry.sha;
    }
    return sha;
  }

  private async folderEntries(treeOrCommit: string, commitId: string): Promise<readonly TreeEntry[]> {
    const cached = this.folders.get(treeOrCommit);
    if (cached) return cached;
    const answer = await this.get<TreeAnswer>(`/git/trees/${encodePath(treeOrCommit)}`, commitId);
    if (FULL_COMMIT_ID.test(treeOrCommit)) this.folders.set(treeOrCommit, answer.tree);
    return answer.tree;
  }

  private async entryAt(commitId: string, path: string): Promise<FileEntry | undefined> {
    const whole = await this.wholeTree(commitId);
    if (!whole.truncated) return whole.files.find((file) => file.path === path);
    const slash = path.lastIndexOf('/');
    const folder = slash < 0 ? '' : path.slice(0, slash);
    const tree = await this.folderTree(commitId, folder);
    const entries = tree === undefined ? [] : await this.folderEntries(tree, commitId);
    return entries.flatMap((entry) => toFileEntry(entry, folder)).find((file) => file.path === path);
  }

  /** The two-dot difference, from the two commits' trees: exact whatever the history between them. */
  private async compareTrees(fromCommitId: string, toCommitId: string): Promise<FileChange[]> {
    const [before, after] = await Promise.all([this.listFiles(fromCommitId, ''), this.listFiles(toCommitId, '')]);
    const beforeByPath = new Map(before.map((file) => [file.path, file]));
    const afterPaths = new Set(after.map((file) => file.path));
    const removed = before.filter((file) => !afterPaths.has(file.path));
    const changes: FileChange[] = [];
    for (const file of after) {
      const old = beforeByPath.get(file.path);
      if (old) {
        if (old.blobId !== file.blobId || old.type !== file.type) changes.push({ kind: 'modified', path: file.path });
        continue;
      }
      // The same content gone from one path and new at another is a move, as git's exact rename detection sees it.
      const moved = removed.findIndex((gone) => gone.blobId === file.blobId && gone.type === file.type);
      const [from] = moved >= 0 ? removed.splice(moved, 1) : [];
      changes.push(
        from ? { kind: 'renamed', path: file.path, previousPath: from.path } : { kind: 'added', path: file.path },
      );
    }
    for (const file of removed) changes.push({ kind: 'deleted', path: file.path });
    return changes;
  }

  private async get<T>(path: string, ref: string, query?: Record<string, string | number>): Promise<T> {
    try {
      return (await this.client.request<T>({ path: `${this.repoPath}${path}`, ...(query ? { query } : {}) })).body;
    } catch (error) {
      // 404: no such ref or object; 422: not a valid commit id ("No commit found for SHA").
      if (error instanceof HostRequestError && (error.status === 404 || error.status === 422)) {
        throw new RefNotFoundError(`${ref} in ${this.description}`, { cause: error });
      }
      if (error instanceof GitReadError || error instanceof GitUnavailableError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      const message = `GitHub ${this.description}: ${reason}`;
      throw error instanceof RetryableError || isRetryableAwsError(error)
        ? new GitUnavailableError(message, { cause: error })
        : new GitReadError(message, { cause: error });
    }
  }

  private where(ref: string): string {
    return `${this.description}@${ref}`;
  }
}

/** Blobs only: a tree is a folder, and a submodule (`commit`) is another repository's, with no content here. */
function toFileEntry(entry: TreeEntry, folder: string): FileEntry[] {
  if (entry.type !== 'blob') return [];
  return [
    {
      path: joinPath(folder, entry.path),
      blobId: entry.sha,
      type: entry.mode === '120000' ? 'symlink' : 'file',
      ...(entry.size === undefined ? {} : { sizeBytes: entry.size }),
    },
  ];
}

const CHANGE_KINDS: Readonly<Record<string, ChangeKind | null>> = {
  added: 'added',
  // A copy is a new file as far as the declarations are concerned.
  copied: 'added',
  removed: 'deleted',
  modified: 'modified',
  // GitHub's `changed` is a mode change without a content change.
  changed: 'modified',
  renamed: 'renamed',
  unchanged: null,
};

function toFileChange(
  file: { filename: string; status: string; previous_filename?: string },
  where: string,
): FileChange[] {
  const kind = CHANGE_KINDS[file.status];
  if (kind === undefined) throw new GitReadError(`GitHub compare ${where} listed ${file.filename} as ${file.status}`);
  if (kind === null) return [];
  if (kind === 'renamed' && file.previous_filename) {
    return [{ kind, path: file.filename, previousPath: file.previous_filename }];
  }
  return [{ kind: kind === 'renamed' ? 'added' : kind, path: file.filename }];
}

function toIso(date: string): string {
  const time = Date.parse(date);
  if (Number.isNaN(time)) throw new GitReadError(`GitHub answered an unreadable commit date: ${date}`);
  return new Date(time).toISOString();
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function joinPath(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function isUnder(path: string | undefined, folder: string): boolean {
  return path !== undefined && (folder === '' || path.startsWith(`${folder}/`));
}

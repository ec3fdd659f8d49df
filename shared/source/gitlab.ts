/** A GitSource that reads a GitLab project through API v4 (gitlab.com or self-managed), without cloning it. */
import { FileTooLargeError, GitReadError, GitUnavailableError, RefNotFoundError, RetryableError } from '../errors.ts';
import { compareStrings } from '../util.ts';
import { BoundedCache } from './bounded-cache.ts';
import type { CommitInfo, FileChange, FileEntry, GitSource, Person } from './git-source.ts';
import { MAX_FILE_BYTES } from './git-source.ts';
import { type GitLabOptions, gitLabMessage, gitLabRestClient, projectApiPath } from './gitlab-client.ts';
import { HostRequestError, type RestClient, type RestRequest, type RestResponse } from './rest-client.ts';

export type GitLabGitSourceOptions = GitLabOptions;

const FULL_COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
/** Listings kept per commit and folder: a push, a sweep and a pull request each read one or two commits. */
const LISTINGS_CACHED = 16;
/** Bytes of file content kept by blob id on a warm function. */
const BLOB_BYTES_CACHED = 32 * 1024 * 1024;
const COMMITS_CACHED = 256;

/** GET /repository/tree entries (type blob, tree or commit; mode 120000 is a symbolic link). */
interface TreeEntry {
  readonly id?: string;
  readonly type?: string;
  readonly path?: string;
  readonly mode?: string;
}

/** GET /repository/commits/:sha. */
interface GitLabCommit {
  readonly id?: string;
  readonly parent_ids?: readonly string[];
  readonly message?: string;
  readonly author_name?: string;
  readonly author_email?: string;
  readonly authored_date?: string;
  readonly committer_name?: string;
  readonly committer_email?: string;
  readonly committed_date?: string;
}

/** One entry of GET /repository/compare's diffs. */
interface GitLabDiff {
  readonly old_path?: string;
  readonly new_path?: string;
  readonly new_file?: boolean;
  readonly renamed_file?: boolean;
  readonly deleted_file?: boolean;
}

export class GitLabGitSource implements GitSource {
  readonly description: string;
  private readonly client: RestClient;
  private readonly projectPath: string;
  private readonly listings = new BoundedCache<string, FileEntry[]>(LISTINGS_CACHED);
  private readonly blobs = new BoundedCache<string, Uint8Array>(BLOB_BYTES_CACHED, (bytes) => bytes.byteLength);
  private readonly commits = new BoundedCache<string, Promise<CommitInfo>>(COMMITS_CACHED);

  constructor(private readonly options: GitLabGitSourceOptions) {
    this.client = gitLabRestClient(options);
    this.projectPath = projectApiPath(options.project);
    this.description = `GitLab project ${options.project}${options.baseUrl ? ` at ${options.baseUrl}` : ''}`;
  }

  async resolveRef(ref: string): Promise<string> {
    if (FULL_COMMIT_ID.test(ref)) return (await this.commitInfo(ref)).commitId;
    const response = await this.call<{ commit?: { id?: unknown } }>(`branch ${ref}`, {
      path: `${this.projectPath}/repository/branches/${encodeURIComponent(ref)}`,
    });
    if (response.status === 404) throw new RefNotFoundError(`${ref} in ${this.options.project}`);
    const id = response.body?.commit?.id;
    if (typeof id !== 'string')
      throw new GitReadError(`GitLab branch ${ref} of ${this.options.project} has no commit id`);
    return id;
  }

  async listFiles(commitId: string, prefix: string): Promise<FileEntry[]> {
    const folder = trimSlashes(prefix);
    const key = `${commitId}\0${folder}`;
    const cached = this.listings.get(key);
    if (cached) return [...cached];
    const entries: FileEntry[] = [];
    const request: RestRequest = {
      path: `${this.projectPath}/repository/tree`,
      query: { ref: commitId, path: folder === '' ? undefined : folder, recursive: true, per_page: 100 },
    };
    try {
      for await (const entry of this.client.paginate<TreeEntry>(request)) {
        const listed = toFileEntry(entry, `tree of ${commitId}`);
        if (listed) entries.push(listed);
      }
    } catch (error) {
      // GitLab answers 404 both for an unknown commit and for a folder the commit does not have.
      if (!(error instanceof HostRequestError && error.status === 404 && entries.length === 0))
        throw this.failure(`tree of ${commitId}:${folder}`, error);
      await this.commitInfo(commitId);
    }
    entries.sort((a, b) => compareStrings(a.path, b.path));
    this.listings.set(key, entries);
    return [...entries];
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    const filePath = trimSlashes(path);
    const listed = this.listedBlobId(commitId, filePath);
    if (listed !== undefined) {
      const cached = this.blobs.get(listed);
      if (cached) return cached;
      const blob = await this.call<Uint8Array>(`blob ${listed} (${filePath})`, {
        path: `${this.projectPath}/repository/blobs/${listed}/raw`,
        bytes: { limit: MAX_FILE_BYTES },
      });
      if (blob.status === 404) throw new GitReadError(`GitLab has no blob ${listed} (${filePath}) in ${this.where()}`);
      return this.keep(listed, filePath, blob);
    }
    const raw = await this.call<Uint8Array>(`file ${filePath} at ${commitId}`, {
      path: `${this.projectPath}/repository/files/${encodeURIComponent(filePath)}/raw`,
      query: { ref: commitId },
      bytes: { limit: MAX_FILE_BYTES },
    });
    if (raw.status === 404) {
      if (/file not found/i.test(gitLabMessage(raw.body))) {
        throw new GitReadError(`file not found: ${filePath} does not exist in ${this.where()}@${commitId}`);
      }
      throw new RefNotFoundError(`${commitId} in ${this.options.project}`);
    }
    return this.keep(raw.headers.get('x-gitlab-blob-id') ?? undefined, filePath, raw);
  }

  async changedFiles(fromCommitId: string, toCommitId: string, prefix?: string): Promise<FileChange[]> {
    const folder = prefix === undefined ? '' : trimSlashes(prefix);
    const what = `compare ${fromCommitId}..${toCommitId}`;
    // straight=true compares the two trees, as git diff-tree does: after a force-push the old head is not an
    // ancestor, and the merge-base form (straight=false) would hide what the rewrite took away.
    const response = await this.call<{ diffs?: unknown; compare_timeout?: boolean }>(what, {
      path: `${this.projectPath}/repository/compare`,
      query: { from: fromCommitId, to: toCommitId, straight: true },
    });
    if (response.status === 404)
      throw new RefNotFoundError(`${fromCommitId}..${toCommitId} in ${this.options.project}`);
    if (response.body?.compare_timeout === true) {
      throw new GitUnavailableError(`GitLab timed out computing ${what} in ${this.where()}`);
    }
    const diffs = response.body?.diffs;
    if (!Array.isArray(diffs)) throw new GitReadError(`GitLab ${what} in ${this.where()} returned no diffs list`);
    const changes = (diffs as GitLabDiff[])
      .filter((diff) => [diff.old_path, diff.new_path].some((path) => isUnder(path, folder)))
      .map((diff) => toFileChange(diff, `${what} in ${this.where()}`));
    return changes.sort((a, b) => compareStrings(a.path, b.path));
  }

  /** Kept per full commit id as a promise, so the run's concurrent readers of one commit share one call. */
  commitInfo(commitId: string): Promise<CommitInfo> {
    const cached = this.commits.get(commitId);
    if (cached) return cached;
    const reading = this.readCommit(commitId);
    // A branch name or short id can move or be ambiguous; only the full id is immutable.
    if (FULL_COMMIT_ID.test(commitId)) {
      this.commits.set(commitId, reading);
      // A failed read is not remembered: the next caller asks again.
      reading.catch(() => this.commits.delete(commitId));
    }
    return reading;
  }

  private async readCommit(commitId: string): Promise<CommitInfo> {
    const response = await this.call<GitLabCommit>(`commit ${commitId}`, {
      path: `${this.projectPath}/repository/commits/${encodeURIComponent(commitId)}`,
    });
    if (response.status === 404) throw new RefNotFoundError(`${commitId} in ${this.options.project}`);
    const commit = response.body ?? {};
    if (typeof commit.id !== 'string') throw new GitReadError(`GitLab commit ${commitId} in ${this.where()} has no id`);
    const whose = `commit ${commit.id} in ${this.where()}`;
    const info: CommitInfo = {
      commitId: commit.id,
      parents: commit.parent_ids ?? [],
      author: toPerson(commit.author_name, commit.author_email, commit.authored_date, `author of ${whose}`),
      committer: toPerson(
        commit.committer_name,
        commit.committer_email,
        commit.committed_date,
        `committer of ${whose}`,
      ),
      message: commit.message ?? '',
    };
    return info;
  }

  /** The blob id a listing of this commit (at the root or any folder above the file) gave the file. */
  private listedBlobId(commitId: string, filePath: string): string | undefined {
    const parts = filePath.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const listing = this.listings.get(`${commitId}\0${parts.slice(0, depth).join('/')}`);
      const entry = listing?.find((listed) => listed.path === filePath);
      if (entry) return entry.blobId;
    }
    return undefined;
  }

  private keep(blobId: string | undefined, filePath: string, response: RestResponse<Uint8Array>): Uint8Array {
    const bytes = response.body;
    if (bytes.byteLength > MAX_FILE_BYTES) {
      const declared = Number(response.headers.get('content-length') ?? response.headers.get('x-gitlab-size'));
      throw new FileTooLargeError(filePath, Math.max(bytes.byteLength, declared || 0), MAX_FILE_BYTES);
    }
    if (blobId !== undefined) this.blobs.set(blobId, bytes);
    return bytes;
  }

  /** A request whose 404 is an answer the caller reads; every other failure is a Git read failure. */
  private async call<T>(what: string, request: RestRequest): Promise<RestResponse<T>> {
    try {
      const response = await this.client.request<T>({ ...request, expect: [404] });
      if (response.status === 404 && /project not found/i.test(gitLabMessage(response.body))) {
        throw new GitReadError(
          `GitLab ${what}: project ${this.options.project} not found, or the token cannot read it (${this.where()})`,
        );
      }
      return response;
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): GitReadError | GitUnavailableError {
    if (error instanceof GitReadError || error instanceof GitUnavailableError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    const message = `GitLab ${what} in ${this.where()} failed: ${reason}`;
    return error instanceof RetryableError
      ? new GitUnavailableError(message, { cause: error })
      : new GitReadError(message, { cause: error });
  }

  private where(): string {
    return this.description.replace(/^GitLab /, '');
  }
}

function toFileEntry(entry: TreeEntry, what: string): FileEntry | undefined {
  // Folders come listed too, and submodules (type commit) are other repositories' commits, not content.
  if (entry.type !== 'blob') return undefined;
  if (typeof entry.path !== 'string' || typeof entry.id !== 'string') {
    throw new GitReadError(`GitLab ${what} listed a file without a path or blob id`);
  }
  return { path: entry.path, blobId: entry.id, type: entry.mode === '120000' ? 'symlink' : 'file' };
}

function toFileChange(diff: GitLabDiff, what: string): FileChange {
  const { old_path: before, new_path: after } = diff;
  if (typeof before !== 'string' || typeof after !== 'string') {
    throw new GitReadError(`GitLab ${what} returned a change without paths`);
  }
  if (diff.deleted_file) return { kind: 'deleted', path: before };
  if (diff.new_file) return { kind: 'added', path: after };
  if (diff.renamed_file && before !== after) return { kind: 'renamed', path: after, previousPath: before };
  return { kind: 'modified', path: after };
}

/** GitLab writes "2026-01-05T09:00:00.000+01:00"; the instant is kept, as the other sources keep it. */
function toPerson(
  name: string | undefined,
  email: string | undefined,
  date: string | undefined,
  whose: string,
): Person {
  const time = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(time)) throw new GitReadError(`GitLab returned an unreadable date for the ${whose}: ${date}`);
  return { name: name ?? '', email: email ?? '', date: new Date(time).toISOString() };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function isUnder(path: string | undefined, folder: string): boolean {
  return path !== undefined && (folder === '' || path.startsWith(`${folder}/`));
}

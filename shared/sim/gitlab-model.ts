/** The fake GitLab's repository model: projects with commits, trees, blobs, branches, merge requests, notes and
 * commit statuses, kept in memory so tests and the demo can push, force-push and delete branches between calls. */
import { createHash } from 'node:crypto';

export interface FakeGitLabUser {
  readonly id: number;
  readonly username: string;
  readonly name: string;
}

export interface FakeTreeEntry {
  readonly blobId: string;
  /** '100644' file, '100755' executable, '120000' symlink. */
  readonly mode: string;
}

export interface FakeCommit {
  readonly id: string;
  readonly parentIds: readonly string[];
  readonly tree: ReadonlyMap<string, FakeTreeEntry>;
  readonly authorName: string;
  readonly authorEmail: string;
  readonly committerName: string;
  readonly committerEmail: string;
  /** ISO-8601 with an offset, as GitLab writes it. */
  readonly date: string;
  readonly message: string;
}

export interface FakeMergeRequest {
  readonly id: number;
  readonly iid: number;
  readonly sourceBranch: string;
  readonly targetBranch: string;
  readonly title: string;
  readonly description: string;
  state: 'opened' | 'closed' | 'merged';
  readonly author: FakeGitLabUser;
  readonly createdAt: string;
  readonly notes: FakeNote[];
}

export interface FakeNote {
  readonly id: number;
  body: string;
  readonly author: FakeGitLabUser;
  readonly system: boolean;
  readonly createdAt: string;
  updatedAt: string;
}

export interface FakeCommitStatus {
  readonly id: number;
  readonly sha: string;
  readonly name: string;
  status: string;
  description: string | null;
  targetUrl: string | null;
  readonly author: FakeGitLabUser;
  readonly createdAt: string;
}

/** A file's new content, null to delete it, or a symbolic link to a target path. */
export type FakeFileChange = string | Uint8Array | null | { readonly symlink: string };

export interface FakeCommitInput {
  /** The branch the commit lands on; it is created or moved to the new commit. */
  readonly branch: string;
  readonly files: Readonly<Record<string, FakeFileChange>>;
  readonly message?: string;
  readonly author?: { readonly name: string; readonly email: string };
  readonly committer?: { readonly name: string; readonly email: string };
  /** The parent; by default the branch's head (none for the first commit). Naming another commit rewrites the
   * branch: a force-push. */
  readonly parent?: string | null;
}

/** Fixed, so ids are the same on every run; each commit is one minute after the one before. */
const EPOCH = Date.parse('2026-01-05T09:00:00Z');

/** Git's blob id: the id `git hash-object` gives the same bytes, so listings match a local clone's. */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

export class FakeGitLabProject {
  readonly commits = new Map<string, FakeCommit>();
  readonly branches = new Map<string, string>();
  readonly blobs = new Map<string, Uint8Array>();
  readonly mergeRequests: FakeMergeRequest[] = [];
  readonly statuses: FakeCommitStatus[] = [];
  private sequence = 0;

  constructor(
    readonly id: number,
    readonly path: string,
    /** Ids unique across the instance, as GitLab's global note and status ids are. */
    readonly nextId: () => number,
  ) {}

  /** Makes a commit from the parent's tree with `files` applied and moves the branch to it; answers its id. */
  commit(input: FakeCommitInput): string {
    const parent = input.parent === undefined ? this.branches.get(input.branch) : (input.parent ?? undefined);
    if (parent !== undefined && !this.commits.has(parent)) throw new Error(`fake GitLab: no commit ${parent}`);
    const tree = new Map(parent === undefined ? [] : this.commits.get(parent)?.tree);
    for (const [path, change] of Object.entries(input.files)) {
      if (change === null) {
        tree.delete(path);
        continue;
      }
      const isLink = typeof change === 'object' && 'symlink' in change;
      const bytes = isLink ? new TextEncoder().encode(change.symlink) : toBytes(change);
      const blobId = gitBlobId(bytes);
      this.blobs.set(blobId, bytes);
      tree.set(path, { blobId, mode: isLink ? '120000' : '100644' });
    }
    const author = input.author ?? { name: 'Jane Doe', email: 'jane@example.com' };
    const committer = input.committer ?? author;
    const date = new Date(EPOCH + 60_000 * this.sequence++).toISOString().replace('Z', '+00:00');
    const message = input.message ?? `Change ${Object.keys(input.files).join(', ')}`;
    const id = createHash('sha1')
      .update(JSON.stringify([parent, [...tree].sort(), author, committer, date, message, this.sequence]))
      .digest('hex');
    this.commits.set(id, {
      id,
      parentIds: parent === undefined ? [] : [parent],
      tree,
      authorName: author.name,
      authorEmail: author.email,
      committerName: committer.name,
      committerEmail: committer.email,
      date,
      message,
    });
    this.branches.set(input.branch, id);
    return id;
  }

  /** A branch name or a commit id, as GitLab's `ref` parameters take them. */
  resolve(ref: string): string | undefined {
    return this.branches.get(ref) ?? (this.commits.has(ref) ? ref : undefined);
  }

  deleteBranch(branch: string): void {
    this.branches.delete(branch);
  }

  openMergeRequest(input: {
    sourceBranch: string;
    targetBranch: string;
    title: string;
    description: string;
    author: FakeGitLabUser;
  }): FakeMergeRequest {
    const request: FakeMergeRequest = {
      ...input,
      id: this.nextId(),
      iid: this.mergeRequests.length + 1,
      state: 'opened',
      createdAt: new Date(EPOCH).toISOString(),
      notes: [],
    };
    this.mergeRequests.push(request);
    return request;
  }

  addNote(request: FakeMergeRequest, body: string, author: FakeGitLabUser, system = false): FakeNote {
    const at = new Date(EPOCH + 1000 * request.notes.length).toISOString();
    const note: FakeNote = { id: this.nextId(), body, author, system, createdAt: at, updatedAt: at };
    request.notes.push(note);
    return note;
  }

  /** Files that differ between two commits' trees; an identical blob deleted in one place and added in another is a
   * rename, as git's exact rename detection sees it. */
  diff(fromId: string, toId: string): FakeDiff[] {
    const from = this.commits.get(fromId)?.tree ?? new Map<string, FakeTreeEntry>();
    const to = this.commits.get(toId)?.tree ?? new Map<string, FakeTreeEntry>();
    const deleted = [...from].filter(([path]) => !to.has(path));
    const added = [...to].filter(([path]) => !from.has(path));
    const diffs: FakeDiff[] = [];
    for (const [path, entry] of to) {
      const before = from.get(path);
      if (before && (before.blobId !== entry.blobId || before.mode !== entry.mode)) {
        diffs.push({ oldPath: path, newPath: path, aMode: before.mode, bMode: entry.mode, kind: 'modified' });
      }
    }
    for (const [path, entry] of added) {
      const source = deleted.findIndex(([, old]) => old.blobId === entry.blobId);
      if (source >= 0) {
        const [oldPath, old] = deleted.splice(source, 1)[0]!;
        diffs.push({ oldPath, newPath: path, aMode: old.mode, bMode: entry.mode, kind: 'renamed' });
      } else diffs.push({ oldPath: path, newPath: path, aMode: '0', bMode: entry.mode, kind: 'added' });
    }
    for (const [path, entry] of deleted) {
      diffs.push({ oldPath: path, newPath: path, aMode: entry.mode, bMode: '0', kind: 'deleted' });
    }
    return diffs.sort((a, b) => (a.newPath < b.newPath ? -1 : a.newPath > b.newPath ? 1 : 0));
  }

  /** The newest common ancestor, for compare's three-dot (`straight=false`) form. */
  mergeBase(fromId: string, toId: string): string | undefined {
    const ancestors = new Set<string>();
    for (let queue = [fromId]; queue.length > 0; ) {
      const id = queue.shift()!;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      queue = queue.concat(this.commits.get(id)?.parentIds ?? []);
    }
    for (let queue = [toId]; queue.length > 0; ) {
      const id = queue.shift()!;
      if (ancestors.has(id)) return id;
      queue = queue.concat(this.commits.get(id)?.parentIds ?? []);
    }
    return undefined;
  }

  /** Commits reachable from `toId` and not from `fromId`, newest first. */
  commitsBetween(fromId: string, toId: string): FakeCommit[] {
    const excluded = new Set<string>();
    for (let queue = [fromId]; queue.length > 0; ) {
      const id = queue.shift()!;
      if (excluded.has(id)) continue;
      excluded.add(id);
      queue = queue.concat(this.commits.get(id)?.parentIds ?? []);
    }
    const found: FakeCommit[] = [];
    for (let id: string | undefined = toId; id !== undefined && !excluded.has(id); ) {
      const commit = this.commits.get(id);
      if (!commit) break;
      found.push(commit);
      id = commit.parentIds[0];
    }
    return found;
  }
}

export interface FakeDiff {
  readonly oldPath: string;
  readonly newPath: string;
  readonly aMode: string;
  readonly bMode: string;
  readonly kind: 'added' | 'modified' | 'deleted' | 'renamed';
}

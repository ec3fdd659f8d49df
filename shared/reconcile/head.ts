/** What a run reads from Git at the head of its branch: the commit, its declarations, who made it, and the files a
 * push changed. The run applies the head it reads, never the commit an event named. */
import type { CommitInfo, FileChange, GitSource } from '../source/git-source.ts';
import { loadRepository, type RepositorySnapshot } from '../spec/repository.ts';
import type { ReconcileDependencies, ReconcileRequest } from './types.ts';

export interface Head {
  readonly commitId: string;
  /** Every declaration at the head, before the run is scoped and confined. */
  readonly snapshot: RepositorySnapshot;
  readonly commit: CommitInfo;
  /** The files changed since `request.changedSince`; undefined for a full run. */
  readonly changes: FileChange[] | undefined;
}

export async function readHead(request: ReconcileRequest, deps: ReconcileDependencies): Promise<Head> {
  const [commitId, since] = await Promise.all([deps.source.resolveRef(request.branch), scopeBase(request, deps)]);
  // The three Git reads are independent: made together, a push waits for the slowest, not for their sum.
  const prefix = request.prefix ?? '';
  const [snapshot, commit, changes] = await Promise.all([
    loadRepository(resolvedAt(deps.source, commitId), {
      ref: commitId,
      prefix,
      ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
    }),
    deps.source.commitInfo(commitId),
    changesSince(
      { ...request, ...(since ? { changedSince: since } : { changedSince: undefined }) },
      deps.source,
      commitId,
      prefix,
    ),
  ]);
  return { commitId, snapshot, commit, changes };
}

/** `source`, except that resolving `commitId`, the head just read, answers it at once: loadRepository resolves the
 * ref it is given, and for a full commit id that is one more Git call (a GetCommit) before a push's first write. */
function resolvedAt(source: GitSource, commitId: string): GitSource {
  return new Proxy(source, {
    get(target, key) {
      if (key === 'resolveRef') {
        return (ref: string) => (ref === commitId ? Promise.resolve(commitId) : target.resolveRef(ref));
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The files changed since `request.changedSince`, or undefined for a full run (no previous head, or history that
 * cannot be compared, as after a force-push). */
export async function changesSince(
  request: ReconcileRequest,
  source: GitSource,
  commitId: string,
  prefix: string,
): Promise<FileChange[] | undefined> {
  if (!request.changedSince || request.changedSince === commitId || /^0+$/.test(request.changedSince)) return undefined;
  try {
    return await source.changedFiles(request.changedSince, commitId, prefix);
  } catch {
    return undefined;
  }
}

/** The commit a push scopes from: the branch's last fully applied commit when one is recorded, not the event's
 * previous head (whose own run may have been skipped or dead-lettered). */
export async function scopeBase(request: ReconcileRequest, deps: ReconcileDependencies): Promise<string | undefined> {
  if (!request.changedSince || !deps.appliedCommits) return request.changedSince;
  return deps.appliedCommits.read({ repository: request.repository, branch: request.branch });
}

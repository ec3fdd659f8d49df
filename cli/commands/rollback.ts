/**
 * `driftless rollback <resource> [--to SHA]`: the rollback pull request a rolled-back deployment opens, on demand.
 * Restores the resource's declaration files (and a stack's template) on a new branch, from the tracked branch's
 * head, as of the previous version: `--to`, else the newest other commit the ledger records as deployed, else the
 * parent of the commit rolled back. Never merges anything. Against a local repository the proposal is a branch
 * (printed, with its diff command); with `--codecommit <repository>`, `--github <owner/name>` or `--gitlab <project>`
 * it is a pull (merge) request on that host.
 *
 * The commit rolled back is `--commit`, else the newest commit the ledger recorded an outcome of for the resource,
 * else the branch head. The CLI reads the ledger and writes nothing to it: the branch or pull request is the record.
 */

import type { LedgerEntry } from '../../shared/audit/ledger.ts';
import { codeCommitClient } from '../../shared/aws/clients.ts';
import { DriftlessError } from '../../shared/errors.ts';
import type { GitSource } from '../../shared/source/git-source.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { LocalGitProposer } from '../../shared/writeback/local-git-proposer.ts';
import type { ChangeProposer } from '../../shared/writeback/proposals.ts';
import { type RollbackWriteBack, writeBackRollback } from '../../shared/writeback/rollback.ts';
import { type AwsClients, awsClients, ledgerFor, repositoryIdentity } from '../context.ts';
import { type HostOptions, hostedRepository } from '../hosts.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

export interface RollbackOptions extends HostOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly to?: string;
  readonly commit?: string;
  /** false with --no-ledger. */
  readonly ledger: boolean;
  readonly ledgerTable: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly json: boolean;
}

const RESOURCE_ID = /^(EcsService:[^/\s]+\/[^/\s]+|CloudFormationStack:\S+)$/;

export async function rollbackCommand(
  resourceId: string,
  options: RollbackOptions,
  io: CliIo,
  clients: AwsClients = {},
): Promise<number> {
  const fail = (message: string) => {
    io.err(`${paint(io, 'red', 'error:')} ${message}\n`);
    return EXIT_INVALID;
  };
  if (!RESOURCE_ID.test(resourceId)) {
    return fail(
      `${resourceId} is not a resource id: use EcsService:<cluster>/<service> or CloudFormationStack:<stack>`,
    );
  }
  if (!options.ledger && options.to === undefined) {
    return fail('--no-ledger needs --to: without the ledger, driftless cannot tell which version last deployed');
  }

  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  let source: GitSource;
  let proposer: ChangeProposer;
  let branch: string;
  let hosted: ReturnType<typeof hostedRepository>;
  try {
    hosted = hostedRepository(options, () => clients.codeCommit ?? codeCommitClient(config));
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    return fail(error.message);
  }
  if (hosted) {
    ({ source, proposer } = hosted);
    branch = options.ref === 'HEAD' ? 'main' : options.ref;
  } else {
    source = new LocalGitSource({ repoDir: options.repo });
    proposer = new LocalGitProposer({ repoDir: options.repo });
    branch = (await repositoryIdentity(options.repo, options.ref)).branch;
    if (branch === 'HEAD') return fail('HEAD is detached: name the branch to propose into with --ref <branch>');
  }
  const ledger = options.ledger
    ? ledgerFor(options.ledgerTable, awsClients(options, clients).dynamoDb, clients)
    : undefined;

  let result: RollbackWriteBack;
  let commitId: string;
  try {
    const history = ledger ? await ledger.resourceHistory(resourceId, { limit: 200 }) : [];
    commitId = options.commit
      ? await source.resolveRef(options.commit)
      : (lastApplied(history)?.commitId ?? (await source.resolveRef(branch)));
    result = await writeBackRollback({
      source,
      proposer,
      ...(ledger ? { ledger } : {}),
      resourceId,
      commitId,
      branch,
      prefix: options.path,
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(rolledBackAt(history, commitId) ? { rolledBack: rolledBackAt(history, commitId)! } : {}),
      why: `A rollback of ${resourceId} was asked for (driftless rollback)`,
    });
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    return fail(`cannot propose the rollback of ${resourceId}: ${error.message}`);
  }

  if (options.json) {
    io.out(`${JSON.stringify({ resourceId, rolledBackCommitId: commitId, ...result }, null, 2)}\n`);
    return result.status === 'not-proposed' ? EXIT_INVALID : EXIT_OK;
  }
  switch (result.status) {
    case 'opened': {
      const files = result.files.map((file) => (file.content === null ? `${file.path} (deleted)` : file.path));
      io.out(
        result.pullRequestId
          ? `Opened ${hosted?.proposalNoun ?? 'pull request'} ${result.pullRequestId}: ${result.title}\n`
          : `Proposed on branch ${result.branch}: ${result.title}\n`,
      );
      io.out(`  branch:   ${result.branch}\n  commit:   ${result.commitId}\n`);
      io.out(`  restores: ${files.join(', ')} as of ${result.previousCommitId}\n`);
      io.out(`  rolls back: ${commitId}\n`);
      if (!result.pullRequestId) io.out(`  review:   git diff ${branch} ${result.branch}\n`);
      io.out('driftless never merges it: merge it to roll back in Git, or delete it.\n');
      return EXIT_OK;
    }
    case 'exists':
      io.out(`Already proposed: branch ${result.branch} exists; nothing written.\n`);
      return EXIT_OK;
    case 'not-proposed':
      return fail(`nothing proposed: ${result.reason}`);
  }
}

/** The commit the ledger last recorded an outcome of for the resource: what was applied (or rolled back). */
function lastApplied(history: readonly LedgerEntry[]): LedgerEntry | undefined {
  return history.find(
    (entry) =>
      entry.kind === 'outcome' && entry.dryRun !== true && entry.result !== 'skipped' && entry.result !== 'dry-run',
  );
}

function rolledBackAt(history: readonly LedgerEntry[], commitId: string): LedgerEntry | undefined {
  return history.find(
    (entry) => entry.kind === 'outcome' && entry.commitId === commitId && entry.result === 'rolled-back',
  );
}

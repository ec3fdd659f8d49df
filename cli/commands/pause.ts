/** `driftless pause` and `driftless resume`: the break-glass window on one declared resource. While a resource is
 * paused, drift on it is recorded but neither reverted nor adopted, and pushes to it are planned but not applied; the
 * pause ends by itself at its `until`, or earlier with resume. Both are ledger entries with the caller's identity. */

import { newEntryId } from '../../shared/audit/ids.ts';
import { type ActivePause, breakGlassEntry, MAX_PAUSE_MS, parseDuration } from '../../shared/audit/pauses.ts';
import { DriftlessError } from '../../shared/errors.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository } from '../../shared/spec/repository.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients, ledgerFor, repositoryIdentity } from '../context.ts';
import { callerIdentity } from '../identity.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

export interface BreakGlassOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly ledgerTable: string;
  /** The repository name the installation records (default: the folder's name). */
  readonly repository?: string;
  readonly reason?: string;
  readonly json: boolean;
}

export interface PauseOptions extends BreakGlassOptions {
  readonly for: string;
}

export async function pauseCommand(
  resource: string,
  options: PauseOptions,
  io: CliIo,
  clients: AwsClients = {},
): Promise<number> {
  const durationMs = parseDuration(options.for);
  if (durationMs === undefined) {
    io.err(`${paint(io, 'red', 'error:')} --for ${options.for} is not a duration such as 30m, 2h or 1d\n`);
    return EXIT_INVALID;
  }
  if (durationMs > MAX_PAUSE_MS) {
    io.err(`${paint(io, 'red', 'error:')} --for ${options.for} is longer than a pause may last (7d)\n`);
    return EXIT_INVALID;
  }
  if (!options.reason?.trim()) {
    io.err(`${paint(io, 'red', 'error:')} --reason is required: say why, for whoever finds the pause\n`);
    return EXIT_INVALID;
  }
  return breakGlass('pause', resource, options, io, clients, durationMs);
}

export async function resumeCommand(
  resource: string,
  options: BreakGlassOptions,
  io: CliIo,
  clients: AwsClients = {},
): Promise<number> {
  return breakGlass('resume', resource, options, io, clients);
}

async function breakGlass(
  kind: 'pause' | 'resume',
  resource: string,
  options: BreakGlassOptions,
  io: CliIo,
  clients: AwsClients,
  durationMs?: number,
): Promise<number> {
  const aws = awsClients(options, clients);
  const ledger = ledgerFor(options.ledgerTable, aws.dynamoDb, clients);
  const identity = await repositoryIdentity(options.repo, options.ref);
  const repository = options.repository ?? identity.repository;
  const now = (clients.now ?? Date.now)();
  try {
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: options.repo }), {
      ref: options.ref,
      prefix: options.path,
    });
    const matches = snapshot.declarations.filter(
      (declaration) => declaration.id === resource || declaration.document.metadata.name === resource,
    );
    if (matches.length !== 1) {
      const declared = snapshot.declarations.map((declaration) => declaration.id).join(', ') || 'none';
      io.err(
        `${paint(io, 'red', 'error:')} ${
          matches.length === 0
            ? `${resource} is not declared in ${options.repo} at ${options.ref}`
            : `${resource} names ${matches.length} declarations; give the full id`
        } (declared: ${declared})\n`,
      );
      return EXIT_INVALID;
    }
    const resourceId = matches[0]!.id;
    const by = await (clients.callerIdentity ?? (() => callerIdentity(options)))();
    const before = await ledger.activePauses(repository, identity.branch, now);
    const was = before.find((pause) => pause.resourceId === resourceId);
    // The newest entry of a resource wins: this one must sort after the pause it ends or replaces, even when both
    // fall in the same millisecond (or a clock is behind).
    const at = was ? Math.max(now, Date.parse(was.since) + 1) : now;
    const entry = breakGlassEntry({
      kind,
      entryId: newEntryId(new Date(at)),
      repository,
      branch: identity.branch,
      commitId: snapshot.commitId,
      resourceId,
      by,
      reason: options.reason?.trim() || (kind === 'resume' ? 'resumed' : ''),
      now: at,
      ...(durationMs === undefined ? {} : { durationMs }),
    });
    await ledger.append(entry);
    if (options.json) {
      io.out(`${JSON.stringify({ ...entry, ...(was ? { previous: was } : {}) }, null, 2)}\n`);
      return EXIT_OK;
    }
    io.out(
      kind === 'pause'
        ? `Paused ${resourceId} on ${repository}@${identity.branch} until ${entry.until} by ${by}: ${entry.reason}\n` +
            'Until then drift on it is recorded but not reverted, and pushes to it are planned but not applied.\n' +
            `It ends by itself; \`driftless resume ${resourceId}\` ends it now.\n`
        : `${was ? `Resumed ${resourceId} (it was ${describeShort(was)})` : `${resourceId} was not paused; resume recorded anyway`} by ${by}.\n` +
            'Drift on it is handled by its drift policy again from the next run.\n',
    );
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    io.err(`${paint(io, 'red', 'error:')} ${awsSetupProblem(error) ?? error.message}\n`);
    return EXIT_INVALID;
  }
}

function describeShort(pause: ActivePause): string {
  return `paused until ${pause.until} by ${pause.by}`;
}

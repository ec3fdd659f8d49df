/** `driftless audit`: the ledger's answers to who changed what, when, from which commit, with what result; and with
 * `--verify`, whether its hash chains still hold. */

import { FAILURE_RESULTS } from '../../shared/audit/dynamodb.ts';
import { LedgerVerifier } from '../../shared/audit/dynamodb-verify.ts';
import { IN_FLIGHT_MS, unpaired } from '../../shared/audit/intents.ts';
import type { LedgerEntry } from '../../shared/audit/ledger.ts';
import { parseDuration } from '../../shared/audit/pauses.ts';
import type { PartitionVerdict } from '../../shared/audit/verify.ts';
import { DriftlessError, LedgerTableMissingError } from '../../shared/errors.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients, ledgerFor } from '../context.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

export interface AuditOptions {
  readonly resource?: string;
  readonly commit?: string;
  readonly since?: string;
  readonly failed: boolean;
  readonly json: boolean;
  readonly ledgerTable: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly limit: number;
  /** Walk the hash chains instead of listing entries. */
  readonly verify?: boolean;
  /** --verify: how far an entry's time may lie before its predecessor's (a duration such as 15m). */
  readonly clockSkew?: string;
}

const RELATIVE = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "1h", "30m", "7d", or a date/time ("2026-11-01", "2026-11-01T10:00:00Z"), as an ISO time. */
export function parseSince(value: string, now: number = Date.now()): string {
  const relative = RELATIVE.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]).toISOString();
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`--since ${value}: use 30m, 1h, 7d or a date such as 2026-11-01`);
  return new Date(time).toISOString();
}

export async function auditCommand(options: AuditOptions, io: CliIo, clients: AwsClients = {}): Promise<number> {
  if (options.verify) return verifyCommand(options, io, clients);
  const ledger = ledgerFor(options.ledgerTable, awsClients(options, clients).dynamoDb, clients);
  let entries: LedgerEntry[];
  let open = new Set<string>();
  try {
    const since = options.since === undefined ? undefined : parseSince(options.since);
    if (options.resource) {
      entries = (await ledger.resourceHistory(options.resource, { limit: options.limit })).reverse();
    } else if (options.commit) {
      entries = await ledger.commitHistory(options.commit);
    } else if (options.failed) {
      // Everything in the window, not the failures index alone: intents are listed when no outcome answers them.
      entries = await ledger.window({ since: since ?? parseSince('7d') });
    } else {
      entries = await ledger.window({ since: since ?? parseSince('24h') });
    }
    if (since) entries = entries.filter((entry) => entry.time >= since);
    if (options.failed) {
      open = new Set(unpaired(entries).map((entry) => entry.entryId));
      entries = entries.filter(
        (entry) => (entry.result !== undefined && FAILURE_RESULTS.has(entry.result)) || open.has(entry.entryId),
      );
    }
  } catch (error) {
    if (error instanceof RangeError) {
      io.err(`${paint(io, 'red', 'error:')} ${error.message}\n`);
      return EXIT_INVALID;
    }
    if (!(error instanceof DriftlessError)) throw error;
    // A missing table's message names the table, where, and how to create it already.
    const what = error instanceof LedgerTableMissingError ? '' : `cannot read the ledger ${options.ledgerTable}: `;
    io.err(`${paint(io, 'red', 'error:')} ${what}${awsSetupProblem(error) ?? error.message}\n`);
    return EXIT_INVALID;
  }
  entries = entries.slice(-options.limit);
  const marked = entries.map((entry) => (open.has(entry.entryId) ? { ...entry, unpaired: true } : entry));
  io.out(options.json ? `${JSON.stringify(marked, null, 2)}\n` : formatAudit(entries, io, open));
  return EXIT_OK;
}

/** `unpaired`: entry ids of intents no outcome answers (audit --failed), shown as such. */
export function formatAudit(
  entries: readonly LedgerEntry[],
  io: CliIo,
  unpaired: ReadonlySet<string> = new Set(),
  now: number = Date.now(),
): string {
  if (entries.length === 0) return 'No ledger entries match.\n';
  const rows = entries.map((entry) => [
    entry.time.replace('T', ' ').slice(0, 19),
    entry.kind,
    unpaired.has(entry.entryId) ? 'unpaired' : (entry.result ?? (entry.kind === 'intent' ? 'intent' : '')),
    entry.trigger,
    entry.resourceId ?? `(run ${entry.runId.slice(-8)})`,
    entry.action ?? '',
    entry.commitId.slice(0, 8),
    entry.changedBy ?? entry.pushedBy ?? entry.commitAuthor?.replace(/ <.*>$/, '') ?? '',
    unpaired.has(entry.entryId)
      ? unpairedDetail(entry, now)
      : (entry.errorMessage ??
        entry.reason ??
        (entry.apiCall ? `after ${entry.apiCall}; ${detailOf(entry)}` : detailOf(entry))),
  ]);
  const header = ['TIME (UTC)', 'KIND', 'RESULT', 'TRIGGER', 'RESOURCE', 'ACTION', 'COMMIT', 'WHO', 'DETAIL'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = [
    paint(io, 'bold', format(header)),
    ...rows.map((row) => {
      const text = format(row);
      return ['failed', 'refused', 'rolled-back', 'unpaired'].includes(row[2] ?? '') ? paint(io, 'red', text) : text;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** What an intent without an outcome means: a write whose run may still be running, or one the next run of the
 * branch resolves from live state. */
function unpairedDetail(entry: LedgerEntry, now: number): string {
  const inFlight = now - Date.parse(entry.time) < IN_FLIGHT_MS;
  return inFlight
    ? 'no outcome yet: its run may still be writing'
    : `no outcome recorded: the next run of ${entry.repository}/${entry.branch} records what live state shows`;
}

function detailOf(entry: LedgerEntry): string {
  if (entry.summary)
    return Object.entries(entry.summary)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  const changes = entry.changes
    ?.map((change) => (change.path === '/' ? 'everything declared (create)' : change.path))
    .join(', ');
  const references = entry.references
    ? Object.values(entry.references)
        .filter(Boolean)
        .map((ref) => String(ref).split('/').at(-1))
        .join(', ')
    : '';
  return [changes, references].filter(Boolean).join(' ');
}

/** `audit --verify`: every partition in scope, OK or its first break; exit 1 when any chain is broken. */
async function verifyCommand(options: AuditOptions, io: CliIo, clients: AwsClients): Promise<number> {
  const refuse = (message: string) => {
    io.err(`${paint(io, 'red', 'error:')} ${message}\n`);
    return EXIT_INVALID;
  };
  if (options.commit !== undefined || options.failed)
    return refuse('--verify walks partitions: use it with --resource or --since, not --commit or --failed');
  const maxSkewMs = parseDuration(options.clockSkew ?? '15m');
  if (maxSkewMs === undefined)
    return refuse(`--clock-skew ${options.clockSkew} is not a duration such as 30s, 15m or 1h`);
  const verifier = new LedgerVerifier({
    tableName: options.ledgerTable,
    client: awsClients(options, clients).dynamoDb,
    ...(clients.now ? { now: clients.now } : {}),
  });
  let verdicts: PartitionVerdict[];
  try {
    const since = options.since === undefined ? undefined : parseSince(options.since, (clients.now ?? Date.now)());
    verdicts = await verifier.verify(
      { ...(options.resource ? { resourceId: options.resource } : {}), ...(since ? { since } : {}) },
      { maxSkewMs },
    );
  } catch (error) {
    if (error instanceof RangeError) return refuse(error.message);
    if (!(error instanceof DriftlessError)) throw error;
    const what = error instanceof LedgerTableMissingError ? '' : `cannot verify the ledger ${options.ledgerTable}: `;
    return refuse(`${what}${error.message}`);
  }
  const broken = verdicts.filter((verdict) => verdict.break !== undefined);
  if (options.json) {
    const report = {
      table: options.ledgerTable,
      partitions: verdicts.length,
      intact: verdicts.length - broken.length,
      broken: broken.length,
      verdicts,
    };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.out(formatVerdicts(verdicts, io, options.ledgerTable));
  }
  return broken.length === 0 ? EXIT_OK : EXIT_INVALID;
}

/** One line per partition, then the count: a person reads the first break of each broken chain. */
export function formatVerdicts(verdicts: readonly PartitionVerdict[], io: CliIo, table: string): string {
  if (verdicts.length === 0) return `No ledger partitions to verify in ${table}.\n`;
  const width = Math.max(...verdicts.map((verdict) => verdict.partition.length));
  const lines = verdicts.map((verdict) => {
    const name = verdict.partition.padEnd(width);
    const found = verdict.break;
    if (found) {
      const where = [found.sequence === undefined ? '' : `sequence ${found.sequence}`, found.sk ?? '']
        .filter(Boolean)
        .join(', ');
      return paint(io, 'red', `${name}  ${found.kind.toUpperCase()}${where ? ` at ${where}` : ''}: ${found.detail}`);
    }
    const before = verdict.beforeChain > 0 ? ` (${verdict.beforeChain} before the chain began)` : '';
    const head = verdict.head ? `, head ${verdict.head.sequence} ${verdict.head.hash.slice(0, 16)}` : '';
    return `${name}  OK  ${verdict.chained} chained${before}${head}`;
  });
  const broken = verdicts.filter((verdict) => verdict.break !== undefined).length;
  const summary = `${verdicts.length} partition${verdicts.length === 1 ? '' : 's'} of ${table} verified: ${verdicts.length - broken} intact, ${broken} broken.`;
  return `${lines.join('\n')}\n${broken > 0 ? paint(io, 'red', summary) : summary}\n`;
}

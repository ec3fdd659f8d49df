/** One structured JSON log line per ledger entry, through Powertools Logger: `{"message":"ledger entry","ledger":{…}}`
 * with the entry's own fields, so CloudWatch Logs Insights answers the ledger's questions too, e.g.
 * `filter ledger.resourceId = "EcsService:prod/web" | sort @timestamp desc`,
 * `filter ledger.commitId = "…"`, `filter ledger.result in ["failed", "refused", "rolled-back"]`, or
 * `filter ispresent(ledger.recovered)` for the outcomes a later run recorded from live state.
 * The ledger in DynamoDB stays the record; the line is a searchable copy written after the entry is stored. It also
 * carries the entry's place in its partition's hash chain (`chain.sequence`, `chain.hash`, see chain.ts): a copy of the
 * chain outside the table, which someone able to rewrite the table cannot rewrite with it. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ChainHead } from './chain.ts';
import type { LedgerEntry } from './ledger.ts';

/** Emits the log line for one stored entry and its chain link. Inject a capturing one in tests, a silent one where
 * logs are noise. */
export type LedgerLogLine = (entry: LedgerEntry, chain?: ChainHead) => void;

/** The part of a Powertools Logger the line needs. */
export interface LedgerLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
}

export const LEDGER_LOG_MESSAGE = 'ledger entry';

/** The entry's fields as a plain object, fields that are not set left out: exactly what the ledger stores. */
export function ledgerLogFields(entry: LedgerEntry): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** Logs `ledger entry` at info with the entry under `ledger`; defaults to a Logger with serviceName driftless. */
export function powertoolsLogLine(logger: LedgerLogger = new Logger({ serviceName: 'driftless' })): LedgerLogLine {
  return (entry, chain) =>
    logger.info(LEDGER_LOG_MESSAGE, { ledger: ledgerLogFields(entry), ...(chain ? { chain: { ...chain } } : {}) });
}

/** Emits nothing. */
export const silentLogLine: LedgerLogLine = () => {};

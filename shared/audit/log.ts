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

/** The process's one Powertools Logger: the handlers give it each invocation's Lambda context, so every line it writes
 * (the functions' own and the ledger's) carries `function_request_id`, `cold_start` and `xray_trace_id`. */
export const driftlessLogger = new Logger({ serviceName: 'driftless' });

/** The Lambda context fields the log lines carry; the runtime passes all of them, tests may pass some. */
export interface LambdaInvocation {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string;
}

/** Gives the invocation's context to the shared logger; a call without a request id (a local run) leaves it as is. */
export function logInvocation(context: LambdaInvocation | undefined, logger: Logger = driftlessLogger): void {
  if (!context?.awsRequestId) return;
  logger.addContext({
    awsRequestId: context.awsRequestId,
    functionName: context.functionName ?? '',
    functionVersion: context.functionVersion ?? '$LATEST',
    invokedFunctionArn: context.invokedFunctionArn ?? '',
    memoryLimitInMB: context.memoryLimitInMB ?? '',
  } as Parameters<Logger['addContext']>[0]);
}

/** Logs `ledger entry` at info with the entry under `ledger`; defaults to the shared driftless logger. */
export function powertoolsLogLine(logger: LedgerLogger = driftlessLogger): LedgerLogLine {
  return (entry, chain) =>
    logger.info(LEDGER_LOG_MESSAGE, { ledger: ledgerLogFields(entry), ...(chain ? { chain: { ...chain } } : {}) });
}

/** Emits nothing. */
export const silentLogLine: LedgerLogLine = () => {};

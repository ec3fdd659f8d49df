/** The sweep-shard function: reconciles one shard (or the prune pass) of a fanned-out sweep, one SQS message at a
 * time, reporting retryable failures per message so only that message is delivered again. */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import { literal, number, object, string, union } from 'zod';
import { loadRepository } from '../shared/spec/repository.ts';
import { type FunctionDependencies, lazyHandler, shardWorkerDependencies } from './dependencies.ts';
import { settleFailedMessage } from './errors.ts';
import { runAndAnnounce } from './run.ts';
import type { ShardMessage } from './sweep.ts';

/** An SQS message as Lambda's SQS event source delivers it (the fields driftless reads). */
export interface SQSRecord {
  readonly messageId: string;
  readonly receiptHandle?: string;
  readonly body: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string; readonly SentTimestamp?: string };
  readonly eventSource?: string;
  readonly eventSourceARN?: string;
  readonly awsRegion?: string;
}

export interface SQSEvent {
  readonly Records: readonly SQSRecord[];
}

/** The partial batch response (ReportBatchItemFailures): the messages to deliver again. */
export interface SQSBatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

const shardMessage = union([
  object({
    shard: object({
      group: string().min(1),
      index: number().int().min(0),
      count: number().int().min(1),
    }).refine((shard) => shard.index < shard.count, { message: 'index must be less than count' }),
    commitId: string().min(1),
  }),
  // The sweep names its head; a prune message sent by hand may leave it out.
  object({ prune: literal(true), commitId: string().min(1).optional() }),
]);

export type ParsedShardMessage =
  | { readonly ok: true; readonly message: ShardMessage }
  | { readonly ok: false; readonly reason: string };

/** Reads a message body; one that is not JSON or not a shard or prune message is refused with the reason. */
export function parseShardMessage(body: string): ParsedShardMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = shardMessage.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason: `not a shard or prune message: ${problems}` };
}

export function createSweepShardHandler(deps: FunctionDependencies): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records ?? []) {
      if ((await handleRecord(deps, record)) === 'retry') batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

/** One message: 'retry' when SQS should deliver it again. */
async function handleRecord(deps: FunctionDependencies, record: SQSRecord): Promise<'done' | 'retry'> {
  const { logger } = deps;
  const log: Record<string, unknown> = {
    messageId: record.messageId,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    trigger: 'schedule',
  };
  const parsed = parseShardMessage(record.body);
  if (!parsed.ok) {
    logger.error('shard message ignored; not retried: it cannot be read', { ...log, reason: parsed.reason });
    return 'done';
  }
  const { message } = parsed;
  try {
    if ('shard' in message) {
      const shardLog = { ...log, shard: message.shard, eventCommitId: message.commitId };
      await runAndAnnounce(
        deps,
        { trigger: 'schedule', shard: message.shard, eventCommitId: message.commitId },
        shardLog,
      );
    } else {
      await prunePass(deps, message.commitId, { ...log, prune: true, eventCommitId: message.commitId });
    }
    return 'done';
  } catch (error) {
    // runAndAnnounce announced and logged a failed reconcile already; it throws only what SQS should deliver again.
    return settleFailedMessage(error, logger, 'shard message', log);
  }
}

/** The prune pass: a full unsharded reconcile, made only when the deployment and driftless.yaml both prune. */
async function prunePass(
  deps: FunctionDependencies,
  commitId: string | undefined,
  log: Record<string, unknown>,
): Promise<void> {
  const { environment, logger } = deps;
  if (!environment.prune) {
    logger.info('prune pass skipped: the deployment does not allow pruning', log);
    return;
  }
  const head = await deps.source.resolveRef(environment.branch);
  const snapshot = await loadRepository(deps.source, {
    ref: head,
    prefix: environment.pathPrefix,
    ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
  });
  if (snapshot.settings?.document.spec.sync.prune !== true) {
    logger.info('prune pass skipped: driftless.yaml does not enable pruning', { ...log, commitId: head });
    return;
  }
  await runAndAnnounce(deps, { trigger: 'schedule', ...(commitId ? { eventCommitId: commitId } : {}) }, log);
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createSweepShardHandler, () => shardWorkerDependencies());

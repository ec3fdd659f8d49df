/** The sweep function: on a schedule, reconciles the whole branch head (the drift sweep and the only run that may
 * prune), or fans the work out to shard workers when the fleet is too large for one invocation. */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { ConfigurationError, RetryableError, TerminalError } from '../shared/errors.ts';
import { type DetailType, EventPublisher, reconcileErrorEvent } from '../shared/notify/events.ts';
import { planShards } from '../shared/reconcile/scope.ts';
import type { Shard } from '../shared/reconcile/types.ts';
import { loadRepository } from '../shared/spec/repository.ts';
import { type FunctionDependencies, lazyHandler, sweepDependencies } from './dependencies.ts';
import { fanOutOfEnvironment } from './environment.ts';
import { classifyError, summarizeError } from './errors.ts';
import { eventLabel, type ScheduledEvent } from './events.ts';
import { type RunSummary, runAndAnnounce } from './run.ts';

/** What functions/sweep-shard.ts receives: one shard of a sweep, or the sweep's prune pass. */
export type ShardMessage =
  | { readonly shard: Shard; readonly commitId: string }
  | { readonly prune: true; readonly commitId?: string };

/** What a sweep that fanned out returns. */
export interface FanOutResult {
  readonly outcome: 'fanned-out';
  /** Shard messages sent (the prune message not counted). */
  readonly shards: number;
  /** Whether the prune message was sent. */
  readonly prune: boolean;
  /** The head the shards were planned at. */
  readonly commitId: string;
}

export type SweepResult = RunSummary | FanOutResult;

/** SendMessageBatch takes at most 10 entries per call. */
export const MAX_MESSAGES_PER_BATCH = 10;
/** Calls made for entries SQS reports failed (besides the first), before the sweep gives up on them. */
const RESEND_ATTEMPTS = 2;

export function createSweepHandler(deps: FunctionDependencies): (event: ScheduledEvent) => Promise<SweepResult> {
  return async (event) => {
    const log = { ...eventLabel(event), trigger: 'schedule' };
    if (fanOutOfEnvironment(deps.environment)) return fanOutAndAnnounce(deps, log);
    return runAndAnnounce(deps, { trigger: 'schedule' }, log);
  };
}

/** The fan-out, its failure mapped like a reconcile's: announced, then returned (terminal) or rethrown. */
async function fanOutAndAnnounce(deps: FunctionDependencies, log: Record<string, unknown>): Promise<SweepResult> {
  try {
    const result = await fanOut(deps);
    deps.logger.info('sweep fanned out', { ...log, ...result });
    return result;
  } catch (error) {
    const kind = classifyError(error);
    const summary = summarizeError(error);
    const { repository, branch } = deps.environment;
    const event = reconcileErrorEvent({ repository, branch, trigger: 'schedule' }, summary, []);
    await new EventPublisher({
      client: deps.eventBridge,
      eventBusName: deps.environment.eventBus,
      logger: deps.logger,
    }).publish([event]);
    const announced: DetailType[] = [event.detailType];
    if (kind === 'terminal') {
      deps.logger.error('sweep fan-out failed; not retried: retrying cannot change this', { ...log, error: summary });
      return { outcome: 'failed', error: summary, announced };
    }
    deps.logger.error(
      kind === 'retryable'
        ? 'sweep fan-out failed; handed back to EventBridge to retry'
        : 'sweep fan-out failed unexpectedly; handed back to EventBridge (dead-letter queue after the retries)',
      { ...log, error: summary },
    );
    throw error;
  }
}

/** Reads the head, plans the shards and sends them (and the prune message when pruning is on). */
async function fanOut(deps: FunctionDependencies): Promise<FanOutResult> {
  const { environment } = deps;
  const fanOut = fanOutOfEnvironment(environment);
  if (!fanOut) throw new ConfigurationError('the sweep fans out only with a shard size and a shard queue URL');
  if (!deps.sqs) throw new ConfigurationError('the sweep fans out but was given no SQS client');
  const commitId = await deps.source.resolveRef(environment.branch);
  const snapshot = await loadRepository(deps.source, {
    ref: commitId,
    prefix: environment.pathPrefix,
    ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
  });
  const shards = planShards(snapshot, fanOut.shardSize);
  const prune = environment.prune && snapshot.settings?.document.spec.sync.prune === true;
  const messages: ShardMessage[] = [
    ...shards.map((shard) => ({ shard, commitId })),
    ...(prune ? [{ prune: true as const, commitId }] : []),
  ];
  await sendMessages(deps.sqs, fanOut.queueUrl, messages);
  return { outcome: 'fanned-out', shards: shards.length, prune, commitId };
}

/** SendMessageBatch in calls of at most 10; entries SQS reports failed are sent again, and an error is thrown for
 * those still failing (terminal when SQS blames the request, retryable otherwise). Messages already sent stay sent:
 * a shard reconciled twice changes nothing the second time. */
async function sendMessages(
  sqs: NonNullable<FunctionDependencies['sqs']>,
  queueUrl: string,
  messages: readonly ShardMessage[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += MAX_MESSAGES_PER_BATCH) {
    let entries: SendMessageBatchRequestEntry[] = messages
      .slice(start, start + MAX_MESSAGES_PER_BATCH)
      .map((message, offset) => ({ Id: `message-${start + offset}`, MessageBody: JSON.stringify(message) }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failed = response.Failed ?? [];
      if (failed.length === 0) break;
      const described = failed.map((entry) => `${entry.Id}: ${entry.Code ?? 'unknown'} ${entry.Message ?? ''}`.trim());
      if (failed.some((entry) => entry.SenderFault)) {
        throw new TerminalError(`SQS refused shard messages: ${described.join('; ')}`);
      }
      if (attempt >= RESEND_ATTEMPTS) {
        throw new RetryableError(`SQS did not take shard messages: ${described.join('; ')}`);
      }
      const failedIds = new Set(failed.map((entry) => entry.Id));
      entries = entries.filter((entry) => failedIds.has(entry.Id));
    }
  }
}

/** The Lambda handler: production dependencies (and the SQS client when fanning out), built on the first invocation
 * (see dependencies.ts). */
export const handler = lazyHandler(createSweepHandler, () => sweepDependencies());

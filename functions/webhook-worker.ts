/** The webhook worker: takes the GitHub and GitLab deliveries the receiver queued (functions/webhook.ts) one SQS
 * message at a time and runs the push path (a reconcile of the branch head it reads, as functions/push.ts does) or the
 * pull-request path (planPullRequest, reported through the host's PlanReporter), reporting retryable failures per
 * message so only that message is delivered again. */
import type { PullRequestMessage, PushMessage } from '../shared/triggers/webhook-events.ts';
import { parseWebhookMessage } from '../shared/triggers/webhook-events.ts';
import { type FunctionDependencies, lazyHandler, productionDependencies } from './dependencies.ts';
import { settleFailedMessage } from './errors.ts';
import { planPullRequest } from './pull-request.ts';
import { runAndAnnounce } from './run.ts';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from './sweep-shard.ts';

export function createWebhookWorker(deps: FunctionDependencies): (event: SQSEvent) => Promise<SQSBatchResponse> {
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
  const { environment, logger } = deps;
  const base = { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount };
  const parsed = parseWebhookMessage(record.body);
  if (!parsed.ok) {
    logger.error('webhook message ignored; not retried: it cannot be read', { ...base, reason: parsed.reason });
    return 'done';
  }
  const { message } = parsed;
  const log = { ...base, trigger: message.kind, host: message.host, deliveryId: message.deliveryId };
  // The receiver checked both already; a message sent to the queue by hand is held to the same rule.
  const target = message.kind === 'push' ? message.branch : message.targetBranch;
  if (message.repository.toLowerCase() !== environment.repository.toLowerCase() || target !== environment.branch) {
    logger.warn('webhook message ignored: not for the tracked branch', {
      ...log,
      repository: message.repository,
      branch: target,
    });
    return 'done';
  }
  try {
    if (message.kind === 'push') await push(deps, message, log);
    else await pullRequest(deps, message, log);
    return 'done';
  } catch (error) {
    // runAndAnnounce and planPullRequest logged their failure; they throw only what SQS should deliver again.
    return settleFailedMessage(error, logger, 'webhook message', log);
  }
}

/** A push: the run reconciles the branch head it reads (not `after`), scoped from the last applied commit. */
async function push(deps: FunctionDependencies, message: PushMessage, log: Record<string, unknown>): Promise<void> {
  await runAndAnnounce(
    deps,
    {
      trigger: 'push',
      eventCommitId: message.after,
      ...(message.pushedBy ? { pushedBy: message.pushedBy } : {}),
      // Rewritten history cannot be compared: the run reconciles everything.
      ...(message.forced ? {} : { changedSince: message.before }),
    },
    { ...log, commitId: message.after, before: message.before },
  );
}

/** A pull (merge) request: its source branch's head read now, so a late or repeated message plans the newest commit,
 * and the target's head when the host did not name it. */
async function pullRequest(
  deps: FunctionDependencies,
  message: PullRequestMessage,
  log: Record<string, unknown>,
): Promise<void> {
  const [headCommitId, baseCommitId] = await Promise.all([
    deps.source.resolveRef(message.sourceBranch),
    message.baseSha ?? deps.source.resolveRef(message.targetBranch),
  ]);
  await planPullRequest(
    deps,
    { pullRequestId: String(message.number), sourceBranch: message.sourceBranch, headCommitId, baseCommitId },
    { ...log, pullRequestId: message.number, eventHead: message.headSha, headCommitId },
  );
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createWebhookWorker, productionDependencies);

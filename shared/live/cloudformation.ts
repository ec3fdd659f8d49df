/** Reads CloudFormation stacks and their templates; a template is fetched again only when its stack has changed. */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  GetTemplateCommand,
  ListStacksCommand,
  type ListStacksCommandOutput,
  type Stack,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from '../aws/clients.ts';
import { errorName, liveReadError } from '../aws/errors.ts';
import { LiveReadError } from '../errors.ts';
import type { LiveStack, LiveState } from '../plan/live-state.ts';
import { compareStrings, MANAGED_BY_TAG_KEY, mapWithConcurrency, toJsonRecord } from '../util.ts';

/** DescribeStacks calls in flight at once: one call per stack name. */
export const CLOUDFORMATION_READ_CONCURRENCY = 8;

/** Every stack status but DELETE_COMPLETE: ListStacks leaves out the deleted stacks it keeps for 90 days. */
const LIVE_STACK_STATUSES = Object.values(StackStatus).filter((status) => status !== StackStatus.DELETE_COMPLETE);

export interface CloudFormationLiveReaderOptions {
  /** Injected so tests and callers control region, endpoint and retries; built by cloudFormationClient() when absent. */
  readonly client?: CloudFormationClient;
}

interface CachedTemplate {
  /** StackId, StackStatus and LastUpdatedTime (or CreationTime): what the template was read for. */
  readonly version: string;
  readonly body: Promise<string | undefined>;
}

export class CloudFormationLiveReader {
  private readonly client: CloudFormationClient;
  /** StackId → the template last read for it, kept as long as the reader. */
  private readonly templates = new Map<string, CachedTemplate>();

  constructor(options: CloudFormationLiveReaderOptions = {}) {
    this.client = options.client ?? cloudFormationClient();
  }

  /** Describes each named stack with its original template. A stack is absent when CloudFormation says it does not
   * exist or it is DELETE_COMPLETE; a stack with an operation in progress comes back without its template. */
  async readStacks(names: readonly string[]): Promise<LiveState> {
    const unique = [...new Set(names)];
    const stacks = await mapWithConcurrency(unique, CLOUDFORMATION_READ_CONCURRENCY, async (name) => {
      const stack = await this.describeStack(name);
      if (stack === undefined) return undefined;
      return { stack, templateBody: await this.template(name, stack) };
    });

    const resources = new Map<string, LiveStack>();
    const absent = new Set<string>();
    unique.forEach((name, index) => {
      const id = stackId(name);
      const read = stacks[index];
      if (read === undefined) {
        absent.add(id);
        return;
      }
      resources.set(id, {
        kind: 'CloudFormationStack',
        id,
        name,
        stack: toJsonRecord(read.stack),
        ...(read.templateBody === undefined ? {} : { templateBody: read.templateBody }),
      });
    });
    return { resources, absent };
  }

  /** DescribeStacks for each named stack, without templates (for the outputs services reference): undefined for a
   * stack that does not exist or is DELETE_COMPLETE. */
  async describeStacks(names: readonly string[]): Promise<Map<string, Record<string, unknown> | undefined>> {
    const unique = [...new Set(names)];
    const stacks = await mapWithConcurrency(unique, CLOUDFORMATION_READ_CONCURRENCY, (name) =>
      this.describeStack(name),
    );
    return new Map(unique.map((name, index) => [name, stacks[index] ? toJsonRecord(stacks[index]) : undefined]));
  }

  /** Names of the stacks tagged driftless:managed-by=`installationId` whose name starts with `prefix`, for finding
   * orphans. Deleted stacks are left out. ListStacks names every stack but gives no tags, so each stack with the
   * prefix is then described by name: IAM then needs "*" for ListStacks only, never for DescribeStacks, whose answer
   * (outputs, parameters, tags) stays confined to the prefix. */
  async listManagedStacks(installationId: string, prefix: string): Promise<string[]> {
    const candidates = (await this.listStackNames()).filter((name) => name.startsWith(prefix));
    const described = await mapWithConcurrency(candidates, CLOUDFORMATION_READ_CONCURRENCY, (name) =>
      this.describeStack(name),
    );
    const managed = described.flatMap((stack) =>
      stack?.StackName && stack.Tags?.some((tag) => tag.Key === MANAGED_BY_TAG_KEY && tag.Value === installationId)
        ? [stack.StackName]
        : [],
    );
    return managed.sort(compareStrings);
  }

  /** The names of every stack not deleted, through every ListStacks page, each once. */
  private async listStackNames(): Promise<string[]> {
    const names = new Set<string>();
    let nextToken: string | undefined;
    do {
      let page: ListStacksCommandOutput;
      try {
        page = await this.client.send(
          new ListStacksCommand({
            StackStatusFilter: LIVE_STACK_STATUSES,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (error) {
        throw liveReadError('CloudFormation', 'ListStacks', error);
      }
      for (const summary of page.StackSummaries ?? []) {
        if (summary.StackName && summary.StackStatus !== StackStatus.DELETE_COMPLETE) names.add(summary.StackName);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return [...names];
  }

  /** undefined when the stack does not exist or is DELETE_COMPLETE. */
  private async describeStack(name: string): Promise<Stack | undefined> {
    let response: DescribeStacksCommandOutput;
    try {
      response = await this.client.send(new DescribeStacksCommand({ StackName: name }));
    } catch (error) {
      if (isStackMissing(error)) return undefined;
      throw liveReadError('CloudFormation', `DescribeStacks ${name}`, error);
    }
    const stack = response.Stacks?.[0];
    if (!stack) {
      throw new LiveReadError(`CloudFormation DescribeStacks ${name} returned no stack`);
    }
    return stack.StackStatus === 'DELETE_COMPLETE' ? undefined : stack;
  }

  /** The Original template, from the cache unless the stack changed since it was read; undefined while busy. */
  private async template(name: string, stack: Stack): Promise<string | undefined> {
    if (isBusy(stack.StackStatus)) return undefined;
    if (!stack.StackId) {
      throw new LiveReadError(`CloudFormation DescribeStacks ${name} returned a stack without a StackId`);
    }
    const key = stack.StackId;
    // The status is part of the version: a rollback can restore the previous template without moving the time.
    const changedAt = stack.LastUpdatedTime ?? stack.CreationTime;
    const version = `${stack.StackId}|${stack.StackStatus}|${changedAt?.toISOString() ?? ''}`;
    const cached = this.templates.get(key);
    if (cached?.version === version) return cached.body;

    // By StackId, so the template read is the one of the stack just described even if the name was reused since.
    const body = this.fetchTemplate(name, stack.StackId);
    const entry = { version, body };
    this.templates.set(key, entry);
    body.catch(() => {
      if (this.templates.get(key) === entry) this.templates.delete(key);
    });
    return body;
  }

  private async fetchTemplate(name: string, id: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(new GetTemplateCommand({ StackName: id, TemplateStage: 'Original' }));
      return response.TemplateBody;
    } catch (error) {
      throw liveReadError('CloudFormation', `GetTemplate ${name}`, error);
    }
  }
}

/** CloudFormationStack:<stack name>. */
export function stackId(name: string): string {
  return `CloudFormationStack:${name}`;
}

/** CREATE_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, REVIEW_IN_PROGRESS, …: an operation is running. */
function isBusy(status: string | undefined): boolean {
  return status?.endsWith('_IN_PROGRESS') ?? false;
}

/** DescribeStacks answers a stack that does not exist with a ValidationError ("Stack with id … does not exist"). */
function isStackMissing(error: unknown): boolean {
  return (
    errorName(error) === 'ValidationError' && error instanceof Error && /does not exist/i.test(error.message ?? '')
  );
}

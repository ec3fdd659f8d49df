/** CloudFormationLiveReader against the target, read-only: a stack this run made up is absent, and listing the managed
 * stacks follows ListStacks page by page to the end of the account's stacks, describing only stacks with the prefix. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudFormationClient } from '../../shared/aws/clients.ts';
import { CloudFormationLiveReader, stackId } from '../../shared/live/cloudformation.ts';
import { clientOptions, providedTarget, runs, uniqueNamespace } from './target.ts';

const target = providedTarget();

/** One ListStacks or DescribeStacks call as the client sent and received it. */
interface StackCall {
  readonly command: string;
  readonly stackName: string | undefined;
  readonly sentToken: string | undefined;
  readonly receivedToken: string | undefined;
}

describe.runIf(runs(target, 'cloudformation'))(`CloudFormationLiveReader against the ${target.kind} target`, () => {
  const namespace = uniqueNamespace();
  let client: CloudFormationClient | undefined;
  let reader: CloudFormationLiveReader;
  const calls: StackCall[] = [];

  beforeAll(() => {
    client = cloudFormationClient(clientOptions(target));
    // Records every ListStacks and DescribeStacks the reader makes, with the token it sent and the one it got back.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'ListStacksCommand' || context.commandName === 'DescribeStacksCommand') {
          const input = args.input as { StackName?: string; NextToken?: string };
          const output = result.output as { NextToken?: string };
          calls.push({
            command: context.commandName,
            stackName: input.StackName,
            sentToken: input.NextToken,
            receivedToken: output.NextToken,
          });
        }
        return result;
      },
      { step: 'initialize', name: 'recordStackCalls' },
    );
    reader = new CloudFormationLiveReader({ client });
  });

  afterAll(() => {
    client?.destroy();
  });

  it('reports a stack that does not exist absent', async () => {
    const name = `${namespace}-absent`;
    const state = await reader.readStacks([name, name]);
    expect(state.resources.size).toBe(0);
    expect([...state.absent]).toEqual([stackId(name)]);
  });

  it('lists the managed stacks by following every ListStacks page to the last, describing none outside the prefix', async () => {
    calls.length = 0;
    // No stack has this run's made-up prefix, so nothing is described, and nothing is managed.
    expect(await reader.listManagedStacks(namespace, `${namespace}-`)).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.command === 'ListStacksCommand')).toBe(true);
    expect(calls[0]?.sentToken).toBeUndefined();
    calls.forEach((call, index) => {
      if (index > 0) expect(call.sentToken).toBe(calls[index - 1]?.receivedToken);
    });
    expect(calls.at(-1)?.receivedToken).toBeUndefined();
    console.info(`listManagedStacks read ${calls.length} ListStacks page(s)`);
  });
});

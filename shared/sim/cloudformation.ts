/** The CloudFormation half of the simulator: stacks and change sets in memory, answering as CloudFormation does —
 * REVIEW_IN_PROGRESS stacks for new change sets, "didn't contain changes" for identical submissions, operations
 * that finish (or roll back) when the simulator advances. */
import type {
  CreateChangeSetInput,
  CreateChangeSetOutput,
  DeleteChangeSetInput,
  DeleteChangeSetOutput,
  DeleteStackInput,
  DescribeChangeSetInput,
  DescribeChangeSetOutput,
  DescribeStacksInput,
  DescribeStacksOutput,
  ExecuteChangeSetInput,
  ExecuteChangeSetOutput,
  GetTemplateInput,
  GetTemplateOutput,
  ListStacksInput,
  ListStacksOutput,
  Stack,
} from '@aws-sdk/client-cloudformation';
import { parseTemplate } from '../spec/cloudformation-yaml.ts';
import { ChangeSets, settleChangeSet } from './cloudformation-change-sets.ts';
import { hasOutputs, stackOutputs } from './cloudformation-outputs.ts';
import {
  applySnapshot,
  type SeedStackInput,
  type SimulatedStack,
  type StackEntry,
  StackStore,
} from './cloudformation-stacks.ts';
import { parameterList, resolveParameters, tagList } from './cloudformation-templates.ts';
import type { SimulatorContext } from './context.ts';
import { cloudFormationErrors } from './errors.ts';
import { decodeToken, encodeToken } from './util.ts';

export type { SeedStackInput, SimulatedStack } from './cloudformation-stacks.ts';

const PAGE_SIZE = 100;

export class CloudFormationBackend {
  private readonly store: StackStore;
  private readonly changeSets: ChangeSets;

  constructor(private readonly context: SimulatorContext) {
    this.store = new StackStore(context);
    this.changeSets = new ChangeSets(context, this.store);
  }

  // ---------------------------------------------------------------------------------------------- change sets

  createChangeSet(input: CreateChangeSetInput): CreateChangeSetOutput {
    return this.changeSets.create(input);
  }

  describeChangeSet(input: DescribeChangeSetInput): DescribeChangeSetOutput {
    return this.changeSets.describe(input);
  }

  deleteChangeSet(input: DeleteChangeSetInput): DeleteChangeSetOutput {
    return this.changeSets.delete(input);
  }

  executeChangeSet(input: ExecuteChangeSetInput): ExecuteChangeSetOutput {
    return this.changeSets.execute(input);
  }

  // ---------------------------------------------------------------------------------------------- stacks

  describeStacks(input: DescribeStacksInput): DescribeStacksOutput {
    if (input.StackName !== undefined) {
      const entry = this.store.find(input.StackName);
      if (!entry) throw cloudFormationErrors.validation(`Stack with id ${input.StackName} does not exist`);
      return { Stacks: [this.describe(entry)] };
    }
    const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    if (offset === undefined) throw cloudFormationErrors.validation('Invalid NextToken');
    const live = this.store.all().filter((entry) => entry.stack.status !== 'DELETE_COMPLETE');
    const page = live.slice(offset, offset + PAGE_SIZE).map((entry) => this.describe(entry));
    const next = offset + PAGE_SIZE;
    return { Stacks: page, ...(next < live.length ? { NextToken: encodeToken(next) } : {}) };
  }

  /** Summaries of every stack, the deleted ones too unless StackStatusFilter leaves them out, a page at a time. */
  listStacks(input: ListStacksInput): ListStacksOutput {
    const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    if (offset === undefined) throw cloudFormationErrors.validation('Invalid NextToken');
    const statuses = input.StackStatusFilter ?? [];
    const listed = this.store
      .all()
      .filter((entry) => statuses.length === 0 || statuses.includes(entry.stack.status as (typeof statuses)[number]));
    const page = listed.slice(offset, offset + PAGE_SIZE).map(({ stack }) => ({
      StackId: stack.stackId,
      StackName: stack.stackName,
      ...(stack.description === undefined ? {} : { TemplateDescription: stack.description }),
      CreationTime: stack.creationTime,
      ...(stack.lastUpdatedTime ? { LastUpdatedTime: stack.lastUpdatedTime } : {}),
      ...(stack.deletionTime ? { DeletionTime: stack.deletionTime } : {}),
      StackStatus: stack.status,
      ...(stack.statusReason === undefined ? {} : { StackStatusReason: stack.statusReason }),
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' as const },
    }));
    const next = offset + PAGE_SIZE;
    return { StackSummaries: page, ...(next < listed.length ? { NextToken: encodeToken(next) } : {}) };
  }

  private describe(entry: StackEntry): Stack {
    const { stack } = entry;
    const template = this.store.templates.template(stack.templateBody);
    const outputsFrom = entry.operation?.kind === 'UPDATE' ? entry.operation.previous : stack;
    const outputs = hasOutputs(stack.status)
      ? stackOutputs(
          this.context,
          stack,
          this.store.templates.template(outputsFrom?.templateBody),
          outputsFrom?.parameters ?? {},
        )
      : [];
    return {
      StackId: stack.stackId,
      StackName: stack.stackName,
      ...(entry.changeSets.length > 0 && entry.operation?.changeSet
        ? { ChangeSetId: entry.operation.changeSet.id }
        : {}),
      ...(stack.description === undefined ? {} : { Description: stack.description }),
      Parameters: parameterList(stack.parameters, template),
      CreationTime: stack.creationTime,
      ...(stack.deletionTime ? { DeletionTime: stack.deletionTime } : {}),
      ...(stack.lastUpdatedTime ? { LastUpdatedTime: stack.lastUpdatedTime } : {}),
      RollbackConfiguration: {},
      StackStatus: stack.status,
      ...(stack.statusReason === undefined ? {} : { StackStatusReason: stack.statusReason }),
      DisableRollback: false,
      NotificationARNs: [],
      Capabilities: stack.capabilities,
      ...(outputs.length > 0 ? { Outputs: outputs } : {}),
      ...(stack.roleArn === undefined ? {} : { RoleARN: stack.roleArn }),
      Tags: tagList(stack.tags),
      EnableTerminationProtection: stack.terminationProtection,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    };
  }

  getTemplate(input: GetTemplateInput): GetTemplateOutput {
    if (input.ChangeSetName !== undefined) {
      const { changeSet } = this.store.findChangeSet(input.ChangeSetName, input.StackName);
      return {
        TemplateBody: changeSet.templateBody,
        StagesAvailable: changeSet.status === 'CREATE_PENDING' ? ['Original'] : ['Original', 'Processed'],
      };
    }
    const entry = this.store.find(input.StackName);
    if (!entry || entry.stack.templateBody === undefined) {
      throw cloudFormationErrors.validation(`Stack with id ${input.StackName ?? ''} does not exist`);
    }
    // Without transforms the Processed stage is the Original one.
    return { TemplateBody: entry.stack.templateBody, StagesAvailable: ['Original', 'Processed'] };
  }

  updateTerminationProtection(input: { StackName?: string; EnableTerminationProtection?: boolean }): {
    StackId: string;
  } {
    const entry = this.store.find(input.StackName);
    if (!entry || entry.stack.status === 'DELETE_COMPLETE') {
      throw cloudFormationErrors.validation(`Stack [${input.StackName ?? ''}] does not exist`);
    }
    entry.stack.terminationProtection = input.EnableTerminationProtection === true;
    return { StackId: entry.stack.stackId };
  }

  deleteStack(input: DeleteStackInput): Record<string, never> {
    const entry = this.store.find(input.StackName);
    // Deleting a stack that does not exist succeeds.
    if (!entry || entry.stack.status === 'DELETE_COMPLETE' || entry.stack.status === 'DELETE_IN_PROGRESS') return {};
    const { stack } = entry;
    if (stack.terminationProtection) {
      throw cloudFormationErrors.validation(
        `Stack [${stack.stackName}] cannot be deleted while TerminationProtection is enabled`,
      );
    }
    if (stack.status !== 'REVIEW_IN_PROGRESS' && stack.status.endsWith('_IN_PROGRESS')) {
      throw cloudFormationErrors.validation(
        `Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`,
      );
    }
    stack.status = 'DELETE_IN_PROGRESS';
    stack.statusReason = 'User Initiated';
    if (input.RoleARN !== undefined) stack.roleArn = input.RoleARN;
    entry.operation = { kind: 'DELETE', failing: [] };
    return {};
  }

  // ---------------------------------------------------------------------------------------------- simulation

  /** Change sets finish computing; operations in progress finish, or roll back when a resource says so. */
  advance(): void {
    const now = this.context.date();
    for (const entry of this.store.all()) {
      for (const changeSet of entry.changeSets) settleChangeSet(changeSet);
      const operation = entry.operation;
      if (!operation) continue;
      const { stack } = entry;
      const failed = operation.failing.length > 0;
      const failedList = `[${operation.failing.join(', ')}]`;
      if (operation.kind === 'CREATE') {
        stack.status = failed ? 'ROLLBACK_COMPLETE' : 'CREATE_COMPLETE';
        if (failed) stack.statusReason = `The following resource(s) failed to create: ${failedList}. `;
        else delete stack.statusReason;
      } else if (operation.kind === 'UPDATE') {
        if (failed && operation.previous) {
          applySnapshot(stack, operation.previous);
          stack.status = 'UPDATE_ROLLBACK_COMPLETE';
          stack.statusReason = `The following resource(s) failed to update: ${failedList}. `;
        } else {
          stack.status = 'UPDATE_COMPLETE';
          delete stack.statusReason;
        }
      } else {
        stack.status = 'DELETE_COMPLETE';
        delete stack.statusReason;
        stack.deletionTime = now;
        entry.changeSets = [];
      }
      if (operation.changeSet) {
        operation.changeSet.executionStatus = failed ? 'EXECUTE_FAILED' : 'EXECUTE_COMPLETE';
      }
      delete entry.operation;
    }
  }

  seedStack(input: SeedStackInput): SimulatedStack {
    if (this.store.find(input.stackName)) throw new Error(`simulator: stack ${input.stackName} already exists`);
    const parsed = parseTemplate(input.templateBody);
    if (!parsed.template)
      throw new Error(`simulator: unreadable template for ${input.stackName}: ${parsed.error?.message}`);
    const parameters = resolveParameters(
      parsed.template,
      Object.entries(input.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      undefined,
    );
    const description = parsed.template.Description;
    const stack: SimulatedStack = {
      stackId: this.store.stackArn(input.stackName),
      stackName: input.stackName,
      status: 'CREATE_COMPLETE',
      ...(typeof description === 'string' ? { description } : {}),
      creationTime: this.context.date(),
      templateBody: input.templateBody,
      parameters,
      tags: { ...(input.tags ?? {}) },
      capabilities: [...(input.capabilities ?? [])],
      ...(input.roleArn === undefined ? {} : { roleArn: input.roleArn }),
      terminationProtection: input.terminationProtection ?? false,
    };
    this.store.add({ stack, changeSets: [] });
    return stack;
  }

  /** The live stack by name, to change behind the API's back. */
  stackForDrift(name: string): SimulatedStack {
    const entry = this.store.find(name);
    if (!entry) throw new Error(`simulator: no stack ${name}`);
    return entry.stack;
  }

  stacks(): SimulatedStack[] {
    return this.store.all().map((entry) => entry.stack);
  }
}

/** Simulated CloudFormation change sets: created (with a REVIEW_IN_PROGRESS stack for a new one), computed when the
 * simulator advances, described, deleted and executed as CloudFormation does it. */
import type {
  ChangeSetType,
  CreateChangeSetInput,
  CreateChangeSetOutput,
  DeleteChangeSetInput,
  DeleteChangeSetOutput,
  DescribeChangeSetInput,
  DescribeChangeSetOutput,
  ExecuteChangeSetInput,
  ExecuteChangeSetOutput,
} from '@aws-sdk/client-cloudformation';
import { resourceChanges } from './cloudformation-changes.ts';
import { applySnapshot, type ChangeSetRecord, type Snapshot, type StackStore } from './cloudformation-stacks.ts';
import {
  checkCapabilities,
  failingResources,
  parameterList,
  resolveParameters,
  tagList,
  tagRecord,
} from './cloudformation-templates.ts';
import type { SimulatorContext } from './context.ts';
import { cloudFormationErrors } from './errors.ts';
import { deepEqual } from './util.ts';

const NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

export class ChangeSets {
  constructor(
    private readonly context: SimulatorContext,
    private readonly store: StackStore,
  ) {}

  create(input: CreateChangeSetInput): CreateChangeSetOutput {
    const stackReference = input.StackName ?? '';
    const changeSetName = input.ChangeSetName ?? '';
    if (!stackReference.startsWith('arn:') && !NAME.test(stackReference)) {
      throw cloudFormationErrors.validation(
        `1 validation error detected: Value '${stackReference}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*`,
      );
    }
    if (!NAME.test(changeSetName)) {
      throw cloudFormationErrors.validation(
        `1 validation error detected: Value '${changeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    const type: ChangeSetType = input.ChangeSetType ?? 'UPDATE';
    if (type !== 'CREATE' && type !== 'UPDATE') {
      throw cloudFormationErrors.validation(`ChangeSetType ${type} is not supported by the simulator`);
    }
    let entry = this.store.find(stackReference);
    if (type === 'CREATE') {
      if (entry && entry.stack.status !== 'REVIEW_IN_PROGRESS') {
        throw cloudFormationErrors.alreadyExists(`Stack [${entry.stack.stackName}] already exists`);
      }
    } else {
      if (!entry || entry.stack.status === 'DELETE_COMPLETE') {
        throw cloudFormationErrors.validation(`Stack [${stackReference}] does not exist`);
      }
      const status = entry.stack.status;
      if (status.endsWith('_IN_PROGRESS') || status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED')) {
        throw cloudFormationErrors.validation(
          `Stack:${entry.stack.stackId} is in ${status} state and can not be updated.`,
        );
      }
    }

    let templateBody: string;
    if (input.TemplateBody !== undefined) {
      templateBody = input.TemplateBody;
    } else if (input.UsePreviousTemplate && type === 'UPDATE' && entry?.stack.templateBody !== undefined) {
      templateBody = entry.stack.templateBody;
    } else if (input.TemplateURL !== undefined) {
      throw cloudFormationErrors.validation('The simulator does not fetch TemplateURL: pass TemplateBody.');
    } else {
      throw cloudFormationErrors.validation('Either Template URL or Template Body must be specified.');
    }
    const template = this.store.templates.parse(templateBody);
    const capabilities = [...(input.Capabilities ?? [])];
    checkCapabilities(template, capabilities);
    const current = type === 'UPDATE' ? entry?.stack : undefined;
    const parameters = resolveParameters(template, input.Parameters, current?.parameters);
    const tags = input.Tags === undefined ? { ...(current?.tags ?? {}) } : tagRecord(input.Tags);
    const roleArn = input.RoleARN ?? current?.roleArn;

    if (entry?.changeSets.some((changeSet) => changeSet.name === changeSetName)) {
      throw cloudFormationErrors.alreadyExists(`ChangeSet [${changeSetName}] already exists`);
    }
    if (!entry) {
      entry = {
        stack: {
          stackId: this.store.stackArn(stackReference),
          stackName: stackReference,
          status: 'REVIEW_IN_PROGRESS',
          statusReason: 'User Initiated',
          creationTime: this.context.date(),
          parameters: {},
          tags: {},
          capabilities: [],
          terminationProtection: false,
        },
        changeSets: [],
      };
      this.store.add(entry);
    }

    const currentTemplate = this.store.templates.template(current?.templateBody);
    const unchanged =
      current !== undefined &&
      currentTemplate !== undefined &&
      deepEqual(currentTemplate, template) &&
      deepEqual(current.parameters, parameters) &&
      deepEqual(current.tags, tags) &&
      current.roleArn === roleArn;
    const description = typeof template.Description === 'string' ? template.Description : undefined;
    const changeSet: ChangeSetRecord = {
      id: `arn:aws:cloudformation:${this.context.region}:${this.context.accountId}:changeSet/${changeSetName}/${this.context.ids.uuid()}`,
      name: changeSetName,
      type,
      templateBody,
      parameters,
      tags,
      capabilities,
      ...(roleArn === undefined ? {} : { roleArn }),
      ...(description === undefined ? {} : { description }),
      ...(input.Description === undefined ? {} : { changeSetDescription: input.Description }),
      ...(input.DeploymentMode === undefined ? {} : { deploymentMode: input.DeploymentMode }),
      creationTime: this.context.date(),
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      outcome: unchanged
        ? { status: 'FAILED', statusReason: NO_CHANGES, executionStatus: 'UNAVAILABLE' }
        : { status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE' },
      changes: unchanged
        ? []
        : resourceChanges(this.context, entry.stack, currentTemplate, template, current?.parameters ?? {}, parameters, {
            tagsChanged: current !== undefined && !deepEqual(current.tags, tags),
          }),
    };
    entry.changeSets.push(changeSet);
    return { Id: changeSet.id, StackId: entry.stack.stackId };
  }

  describe(input: DescribeChangeSetInput): DescribeChangeSetOutput {
    const { entry, changeSet } = this.store.findChangeSet(input.ChangeSetName, input.StackName);
    settleChangeSet(changeSet);
    const template = this.store.templates.template(changeSet.templateBody);
    return {
      ChangeSetName: changeSet.name,
      ChangeSetId: changeSet.id,
      StackId: entry.stack.stackId,
      StackName: entry.stack.stackName,
      ...(changeSet.changeSetDescription === undefined ? {} : { Description: changeSet.changeSetDescription }),
      Parameters: parameterList(changeSet.parameters, template),
      CreationTime: changeSet.creationTime,
      ExecutionStatus: changeSet.executionStatus,
      Status: changeSet.status,
      ...(changeSet.statusReason === undefined ? {} : { StatusReason: changeSet.statusReason }),
      NotificationARNs: [],
      RollbackConfiguration: {},
      Capabilities: changeSet.capabilities,
      Tags: tagList(changeSet.tags),
      Changes: changeSet.changes,
      IncludeNestedStacks: false,
      ...(changeSet.deploymentMode === undefined ? {} : { DeploymentMode: changeSet.deploymentMode }),
    };
  }

  delete(input: DeleteChangeSetInput): DeleteChangeSetOutput {
    const { entry, changeSet } = this.store.findChangeSet(input.ChangeSetName, input.StackName);
    if (changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw cloudFormationErrors.invalidChangeSetStatus(
        `Cannot delete ChangeSet in status ${changeSet.executionStatus}`,
      );
    }
    entry.changeSets = entry.changeSets.filter((candidate) => candidate !== changeSet);
    return {};
  }

  execute(input: ExecuteChangeSetInput): ExecuteChangeSetOutput {
    const { entry, changeSet } = this.store.findChangeSet(input.ChangeSetName, input.StackName);
    if (changeSet.status !== 'CREATE_COMPLETE') {
      throw cloudFormationErrors.invalidChangeSetStatus(
        `ChangeSet [${changeSet.id}] cannot be executed in its current status of [${changeSet.status}]`,
      );
    }
    if (changeSet.executionStatus !== 'AVAILABLE') {
      throw cloudFormationErrors.invalidChangeSetStatus(
        `ChangeSet [${changeSet.id}] cannot be executed in its current execution status of [${changeSet.executionStatus}]`,
      );
    }
    const stack = entry.stack;
    if (stack.status !== 'REVIEW_IN_PROGRESS' && stack.status.endsWith('_IN_PROGRESS')) {
      throw cloudFormationErrors.validation(
        `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
      );
    }
    const previous: Snapshot = {
      ...(stack.templateBody === undefined ? {} : { templateBody: stack.templateBody }),
      parameters: stack.parameters,
      tags: stack.tags,
      capabilities: stack.capabilities,
      ...(stack.roleArn === undefined ? {} : { roleArn: stack.roleArn }),
      ...(stack.description === undefined ? {} : { description: stack.description }),
    };
    // CloudFormation holds the new template, parameters and tags from the start of the operation; a rollback
    // puts the previous ones back.
    applySnapshot(stack, changeSet);
    stack.status = changeSet.type === 'CREATE' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
    stack.statusReason = 'User Initiated';
    stack.lastUpdatedTime = this.context.date();
    changeSet.executionStatus = 'EXECUTE_IN_PROGRESS';
    // Executing a change set removes the stack's other change sets.
    entry.changeSets = [changeSet];
    entry.operation = {
      kind: changeSet.type,
      changeSet,
      previous,
      failing: failingResources(this.store.templates.template(changeSet.templateBody)),
    };
    return {};
  }
}

/** CREATE_PENDING turns into its outcome: CloudFormation has had the time to compute the change set. */
export function settleChangeSet(changeSet: ChangeSetRecord): void {
  if (changeSet.status !== 'CREATE_PENDING') return;
  changeSet.status = changeSet.outcome.status;
  changeSet.executionStatus = changeSet.outcome.executionStatus;
  if (changeSet.outcome.statusReason !== undefined) changeSet.statusReason = changeSet.outcome.statusReason;
}

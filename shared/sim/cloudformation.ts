/** The CloudFormation half of the simulator: stacks and change sets in memory, answering as CloudFormation does —
 * REVIEW_IN_PROGRESS stacks for new change sets, "didn't contain changes" for identical submissions, operations
 * that finish (or roll back) when the simulator advances. */
import type {
  Capability,
  Change,
  ChangeSetStatus,
  ChangeSetType,
  CreateChangeSetInput,
  CreateChangeSetOutput,
  DeleteChangeSetInput,
  DeleteChangeSetOutput,
  DeleteStackInput,
  DeploymentMode,
  DescribeChangeSetInput,
  DescribeChangeSetOutput,
  DescribeStacksInput,
  DescribeStacksOutput,
  ExecuteChangeSetInput,
  ExecuteChangeSetOutput,
  ExecutionStatus,
  GetTemplateInput,
  GetTemplateOutput,
  Output,
  Parameter,
  Stack,
  StackStatus,
  Tag,
} from '@aws-sdk/client-cloudformation';
import { parseTemplate } from '../spec/cloudformation-yaml.ts';
import type { SimulatorContext } from './context.ts';
import { cloudFormationErrors } from './errors.ts';
import { stableHex } from './ids.ts';
import { decodeToken, deepEqual, encodeToken } from './util.ts';

/** A stack as the simulator holds it. driftStack() hands this to its patch: change it to drift the stack. */
export interface SimulatedStack {
  stackId: string;
  stackName: string;
  status: StackStatus;
  statusReason?: string;
  description?: string;
  creationTime: Date;
  lastUpdatedTime?: Date;
  deletionTime?: Date;
  /** The template exactly as last submitted (GetTemplate returns it verbatim); absent while REVIEW_IN_PROGRESS. */
  templateBody?: string;
  /** Every template parameter's value, defaults included, in template order. */
  parameters: Record<string, string>;
  tags: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  terminationProtection: boolean;
}

export interface SeedStackInput {
  readonly stackName: string;
  readonly templateBody: string;
  /** Values for the template's parameters; defaults fill the rest. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly capabilities?: readonly Capability[];
  readonly roleArn?: string;
  readonly terminationProtection?: boolean;
}

type Template = Record<string, unknown>;

interface Snapshot {
  templateBody?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  description?: string;
}

interface ChangeSetRecord extends Snapshot {
  id: string;
  name: string;
  type: 'CREATE' | 'UPDATE';
  templateBody: string;
  description?: string;
  changeSetDescription?: string;
  creationTime: Date;
  status: ChangeSetStatus;
  statusReason?: string;
  executionStatus: ExecutionStatus;
  /** What CREATE_PENDING turns into once CloudFormation has looked at it. */
  outcome: { status: ChangeSetStatus; statusReason?: string; executionStatus: ExecutionStatus };
  changes: Change[];
  deploymentMode?: DeploymentMode;
}

interface Operation {
  kind: 'CREATE' | 'UPDATE' | 'DELETE';
  changeSet?: ChangeSetRecord;
  previous?: Snapshot;
  /** Logical ids of resources marked `SimulateFailure: true`: the operation rolls back. */
  failing: string[];
}

interface StackEntry {
  stack: SimulatedStack;
  changeSets: ChangeSetRecord[];
  operation?: Operation;
}

const NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const PAGE_SIZE = 100;
const NO_ECHO_MASK = '****';
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";
const IAM_TYPES: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::Policy': '',
  'AWS::IAM::AccessKey': '',
  'AWS::IAM::UserToGroupAddition': '',
};
/** Physical id prefixes of EC2 resources whose Ref is an id. */
const EC2_ID_PREFIXES: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc-',
  'AWS::EC2::Subnet': 'subnet-',
  'AWS::EC2::SecurityGroup': 'sg-',
  'AWS::EC2::InternetGateway': 'igw-',
  'AWS::EC2::RouteTable': 'rtb-',
  'AWS::EC2::NatGateway': 'nat-',
  'AWS::EC2::NetworkAcl': 'acl-',
  'AWS::EC2::VPCEndpoint': 'vpce-',
  'AWS::EC2::Instance': 'i-',
  'AWS::EC2::LaunchTemplate': 'lt-',
  'AWS::EC2::Volume': 'vol-',
  'AWS::EC2::TransitGateway': 'tgw-',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) result[tag.Key ?? ''] = tag.Value ?? '';
  return result;
}

function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function parameterString(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

export class CloudFormationBackend {
  private readonly entries: StackEntry[] = [];
  private readonly parsedTemplates = new Map<string, Template>();

  constructor(private readonly context: SimulatorContext) {}

  // ---------------------------------------------------------------------------------------------- lookups

  private stackArn(name: string): string {
    return `arn:aws:cloudformation:${this.context.region}:${this.context.accountId}:stack/${name}/${this.context.ids.uuid()}`;
  }

  /** A stack by name (never a deleted one) or by StackId (deleted ones too, as CloudFormation does). */
  private find(reference: string | undefined): StackEntry | undefined {
    if (!reference) return undefined;
    if (reference.startsWith('arn:')) return this.entries.find((entry) => entry.stack.stackId === reference);
    return this.entries.find(
      (entry) => entry.stack.stackName === reference && entry.stack.status !== 'DELETE_COMPLETE',
    );
  }

  private template(body: string | undefined): Template | undefined {
    if (body === undefined) return undefined;
    let template = this.parsedTemplates.get(body);
    if (!template) {
      const parsed = parseTemplate(body);
      if (!parsed.template) return undefined;
      template = parsed.template;
      this.parsedTemplates.set(body, template);
    }
    return template;
  }

  private parse(body: string): Template {
    const parsed = parseTemplate(body);
    if (!parsed.template) {
      const reason = parsed.error?.message ?? 'unreadable template';
      throw cloudFormationErrors.validation(
        /Resources/.test(reason)
          ? 'Template format error: At least one Resources member must be defined.'
          : `Template format error: ${reason}`,
      );
    }
    this.parsedTemplates.set(body, parsed.template);
    return parsed.template;
  }

  private findChangeSet(changeSetName: string | undefined, stackName: string | undefined) {
    const name = changeSetName ?? '';
    if (name.startsWith('arn:')) {
      for (const entry of this.entries) {
        const changeSet = entry.changeSets.find((candidate) => candidate.id === name);
        if (changeSet) return { entry, changeSet };
      }
      throw cloudFormationErrors.changeSetNotFound(name);
    }
    if (!stackName) {
      throw cloudFormationErrors.validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
    }
    const entry = this.find(stackName);
    if (!entry) throw cloudFormationErrors.validation(`Stack [${stackName}] does not exist`);
    const changeSet = entry.changeSets.find((candidate) => candidate.name === name);
    if (!changeSet) throw cloudFormationErrors.changeSetNotFound(name);
    return { entry, changeSet };
  }

  // ---------------------------------------------------------------------------------------------- change sets

  createChangeSet(input: CreateChangeSetInput): CreateChangeSetOutput {
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
    let entry = this.find(stackReference);
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
    const template = this.parse(templateBody);
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
          stackId: this.stackArn(stackReference),
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
      this.entries.push(entry);
    }

    const currentTemplate = this.template(current?.templateBody);
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
        : this.changes(entry.stack, currentTemplate, template, current?.parameters ?? {}, parameters, {
            tagsChanged: current !== undefined && !deepEqual(current.tags, tags),
          }),
    };
    entry.changeSets.push(changeSet);
    return { Id: changeSet.id, StackId: entry.stack.stackId };
  }

  /** Resource changes from comparing the Resources sections, as DescribeChangeSet lists them. */
  private changes(
    stack: SimulatedStack,
    before: Template | undefined,
    after: Template,
    parametersBefore: Record<string, string>,
    parametersAfter: Record<string, string>,
    options: { tagsChanged: boolean },
  ): Change[] {
    const oldResources = isObject(before?.Resources) ? before.Resources : {};
    const newResources = isObject(after.Resources) ? after.Resources : {};
    const changedParameters = new Set(
      [...new Set([...Object.keys(parametersBefore), ...Object.keys(parametersAfter)])].filter(
        (name) => parametersBefore[name] !== parametersAfter[name],
      ),
    );
    const changes: Change[] = [];
    const typeOf = (resource: unknown) => (isObject(resource) ? String(resource.Type ?? '') : '');
    for (const [logicalId, resource] of Object.entries(newResources)) {
      const old = oldResources[logicalId];
      if (old === undefined) {
        changes.push({
          Type: 'Resource',
          ResourceChange: {
            Action: 'Add',
            LogicalResourceId: logicalId,
            ResourceType: typeOf(resource),
            Scope: [],
            Details: [],
          },
        });
        continue;
      }
      const scope: ('Properties' | 'Tags')[] = [];
      if (!deepEqual(old, resource) || referencesAny(resource, changedParameters)) scope.push('Properties');
      if (options.tagsChanged) scope.push('Tags');
      if (scope.length === 0) continue;
      changes.push({
        Type: 'Resource',
        ResourceChange: {
          Action: 'Modify',
          LogicalResourceId: logicalId,
          PhysicalResourceId: this.physicalId(stack, logicalId, typeOf(old)),
          ResourceType: typeOf(resource),
          Replacement: 'False',
          Scope: scope,
          Details: [],
        },
      });
    }
    for (const [logicalId, resource] of Object.entries(oldResources)) {
      if (logicalId in newResources) continue;
      changes.push({
        Type: 'Resource',
        ResourceChange: {
          Action: 'Remove',
          LogicalResourceId: logicalId,
          PhysicalResourceId: this.physicalId(stack, logicalId, typeOf(resource)),
          ResourceType: typeOf(resource),
          Scope: [],
          Details: [],
        },
      });
    }
    return changes;
  }

  /** CREATE_PENDING turns into its outcome: CloudFormation has had the time to compute the change set. */
  private settle(changeSet: ChangeSetRecord): void {
    if (changeSet.status !== 'CREATE_PENDING') return;
    changeSet.status = changeSet.outcome.status;
    changeSet.executionStatus = changeSet.outcome.executionStatus;
    if (changeSet.outcome.statusReason !== undefined) changeSet.statusReason = changeSet.outcome.statusReason;
  }

  describeChangeSet(input: DescribeChangeSetInput): DescribeChangeSetOutput {
    const { entry, changeSet } = this.findChangeSet(input.ChangeSetName, input.StackName);
    this.settle(changeSet);
    const template = this.template(changeSet.templateBody);
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

  deleteChangeSet(input: DeleteChangeSetInput): DeleteChangeSetOutput {
    const { entry, changeSet } = this.findChangeSet(input.ChangeSetName, input.StackName);
    if (changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw cloudFormationErrors.invalidChangeSetStatus(
        `Cannot delete ChangeSet in status ${changeSet.executionStatus}`,
      );
    }
    entry.changeSets = entry.changeSets.filter((candidate) => candidate !== changeSet);
    return {};
  }

  executeChangeSet(input: ExecuteChangeSetInput): ExecuteChangeSetOutput {
    const { entry, changeSet } = this.findChangeSet(input.ChangeSetName, input.StackName);
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
      failing: failingResources(this.template(changeSet.templateBody)),
    };
    return {};
  }

  // ---------------------------------------------------------------------------------------------- stacks

  describeStacks(input: DescribeStacksInput): DescribeStacksOutput {
    if (input.StackName !== undefined) {
      const entry = this.find(input.StackName);
      if (!entry) throw cloudFormationErrors.validation(`Stack with id ${input.StackName} does not exist`);
      return { Stacks: [this.describe(entry)] };
    }
    const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    if (offset === undefined) throw cloudFormationErrors.validation('Invalid NextToken');
    const live = this.entries.filter((entry) => entry.stack.status !== 'DELETE_COMPLETE');
    const page = live.slice(offset, offset + PAGE_SIZE).map((entry) => this.describe(entry));
    const next = offset + PAGE_SIZE;
    return { Stacks: page, ...(next < live.length ? { NextToken: encodeToken(next) } : {}) };
  }

  private describe(entry: StackEntry): Stack {
    const { stack } = entry;
    const template = this.template(stack.templateBody);
    const outputsFrom = entry.operation?.kind === 'UPDATE' ? entry.operation.previous : stack;
    const outputs = hasOutputs(stack.status)
      ? this.outputs(stack, this.template(outputsFrom?.templateBody), outputsFrom?.parameters ?? {})
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
      const { changeSet } = this.findChangeSet(input.ChangeSetName, input.StackName);
      return {
        TemplateBody: changeSet.templateBody,
        StagesAvailable: changeSet.status === 'CREATE_PENDING' ? ['Original'] : ['Original', 'Processed'],
      };
    }
    const entry = this.find(input.StackName);
    if (!entry || entry.stack.templateBody === undefined) {
      throw cloudFormationErrors.validation(`Stack with id ${input.StackName ?? ''} does not exist`);
    }
    // Without transforms the Processed stage is the Original one.
    return { TemplateBody: entry.stack.templateBody, StagesAvailable: ['Original', 'Processed'] };
  }

  updateTerminationProtection(input: { StackName?: string; EnableTerminationProtection?: boolean }): {
    StackId: string;
  } {
    const entry = this.find(input.StackName);
    if (!entry || entry.stack.status === 'DELETE_COMPLETE') {
      throw cloudFormationErrors.validation(`Stack [${input.StackName ?? ''}] does not exist`);
    }
    entry.stack.terminationProtection = input.EnableTerminationProtection === true;
    return { StackId: entry.stack.stackId };
  }

  deleteStack(input: DeleteStackInput): Record<string, never> {
    const entry = this.find(input.StackName);
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

  // ---------------------------------------------------------------------------------------------- outputs

  private physicalId(stack: SimulatedStack, logicalId: string, type: string): string {
    const hex = stableHex(17, stack.stackId, logicalId);
    const prefix = EC2_ID_PREFIXES[type];
    if (prefix) return `${prefix}${hex}`;
    const generated = `${stack.stackName}-${logicalId}-${hex.slice(0, 13).toUpperCase()}`;
    if (type === 'AWS::SNS::Topic') {
      return `arn:aws:sns:${this.context.region}:${this.context.accountId}:${generated}`;
    }
    if (type === 'AWS::S3::Bucket') return generated.toLowerCase().slice(0, 63);
    return generated;
  }

  /** Outputs with their values worked out: literals as they are, parameter references resolved, and anything only
   * a real deployment would know (resource ids, attributes) as stable fake values. */
  private outputs(stack: SimulatedStack, template: Template | undefined, parameters: Record<string, string>): Output[] {
    if (!template || !isObject(template.Outputs)) return [];
    const resources = isObject(template.Resources) ? template.Resources : {};
    const typeOf = (logicalId: string) => {
      const resource = resources[logicalId];
      return isObject(resource) ? String(resource.Type ?? '') : '';
    };
    const pseudo: Record<string, string> = {
      'AWS::Region': this.context.region,
      'AWS::AccountId': this.context.accountId,
      'AWS::StackName': stack.stackName,
      'AWS::StackId': stack.stackId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
    };
    const ref = (name: string): string => {
      if (name in parameters) return parameters[name] as string;
      if (name in pseudo) return pseudo[name] as string;
      return this.physicalId(stack, name, typeOf(name));
    };
    const attribute = (logicalId: string, name: string): string => {
      const physical = this.physicalId(stack, logicalId, typeOf(logicalId));
      if (name === 'Arn') {
        if (physical.startsWith('arn:')) return physical;
        const [, service = 'unknown', kind = 'resource'] = typeOf(logicalId).split('::');
        return `arn:aws:${service.toLowerCase()}:${this.context.region}:${this.context.accountId}:${kind.toLowerCase()}/${physical}`;
      }
      return `${physical}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    };
    const resolve = (value: unknown, fallbackId: string): string => {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (Array.isArray(value)) return value.map((item) => resolve(item, fallbackId)).join(',');
      if (isObject(value)) {
        if (typeof value.Ref === 'string') return ref(value.Ref);
        const getAtt = value['Fn::GetAtt'];
        if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
          return attribute(getAtt[0], String(getAtt[1] ?? ''));
        }
        if (typeof getAtt === 'string') {
          const [logicalId = '', name = ''] = getAtt.split('.');
          return attribute(logicalId, name);
        }
        const sub = value['Fn::Sub'];
        if (typeof sub === 'string' || Array.isArray(sub)) {
          const text = typeof sub === 'string' ? sub : String(sub[0] ?? '');
          const variables = Array.isArray(sub) && isObject(sub[1]) ? sub[1] : {};
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in variables) return resolve(variables[name], fallbackId);
            const dot = name.indexOf('.');
            return dot === -1 ? ref(name) : attribute(name.slice(0, dot), name.slice(dot + 1));
          });
        }
        const join = value['Fn::Join'];
        if (Array.isArray(join) && Array.isArray(join[1])) {
          return join[1].map((item) => resolve(item, fallbackId)).join(String(join[0] ?? ''));
        }
      }
      return this.physicalId(stack, fallbackId, '');
    };
    const outputs: Output[] = [];
    for (const [key, definition] of Object.entries(template.Outputs)) {
      if (!isObject(definition)) continue;
      outputs.push({
        OutputKey: key,
        OutputValue: resolve(definition.Value, key),
        ...(typeof definition.Description === 'string' ? { Description: definition.Description } : {}),
        ...(isObject(definition.Export) && definition.Export.Name !== undefined
          ? { ExportName: resolve(definition.Export.Name, `${key}Export`) }
          : {}),
      });
    }
    return outputs;
  }

  // ---------------------------------------------------------------------------------------------- simulation

  /** Change sets finish computing; operations in progress finish, or roll back when a resource says so. */
  advance(): void {
    const now = this.context.date();
    for (const entry of this.entries) {
      for (const changeSet of entry.changeSets) this.settle(changeSet);
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
    if (this.find(input.stackName)) throw new Error(`simulator: stack ${input.stackName} already exists`);
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
      stackId: this.stackArn(input.stackName),
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
    this.entries.push({ stack, changeSets: [] });
    return stack;
  }

  /** The live stack by name, to change behind the API's back. */
  stackForDrift(name: string): SimulatedStack {
    const entry = this.find(name);
    if (!entry) throw new Error(`simulator: no stack ${name}`);
    return entry.stack;
  }

  stacks(): SimulatedStack[] {
    return this.entries.map((entry) => entry.stack);
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function applySnapshot(stack: SimulatedStack, snapshot: Snapshot): void {
  if (snapshot.templateBody === undefined) delete stack.templateBody;
  else stack.templateBody = snapshot.templateBody;
  stack.parameters = { ...snapshot.parameters };
  stack.tags = { ...snapshot.tags };
  stack.capabilities = [...snapshot.capabilities];
  if (snapshot.roleArn === undefined) delete stack.roleArn;
  else stack.roleArn = snapshot.roleArn;
  if (snapshot.description === undefined) delete stack.description;
  else stack.description = snapshot.description;
}

/** Statuses in which DescribeStacks lists outputs: a stack whose resources exist. */
function hasOutputs(status: StackStatus): boolean {
  return ![
    'REVIEW_IN_PROGRESS',
    'CREATE_IN_PROGRESS',
    'ROLLBACK_IN_PROGRESS',
    'ROLLBACK_COMPLETE',
    'DELETE_COMPLETE',
  ].includes(status);
}

function templateParameters(template: Template | undefined): Record<string, Record<string, unknown>> {
  const parameters = isObject(template?.Parameters) ? template.Parameters : {};
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, definition] of Object.entries(parameters)) result[name] = isObject(definition) ? definition : {};
  return result;
}

/** Parameters as the API lists them; NoEcho values masked. */
function parameterList(values: Record<string, string>, template: Template | undefined): Parameter[] {
  const definitions = templateParameters(template);
  return Object.entries(values).map(([name, value]) => {
    const noEcho = definitions[name]?.NoEcho;
    return { ParameterKey: name, ParameterValue: noEcho === true || noEcho === 'true' ? NO_ECHO_MASK : value };
  });
}

/** Each template parameter's value: given, previous (UsePreviousValue), or default; unknown or missing ones fail. */
function resolveParameters(
  template: Template,
  given: readonly Parameter[] | undefined,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const definitions = templateParameters(template);
  const byName = new Map((given ?? []).map((parameter) => [parameter.ParameterKey ?? '', parameter]));
  const unknown = [...byName.keys()].filter((name) => !(name in definitions));
  if (unknown.length > 0) {
    throw cloudFormationErrors.validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    const parameter = byName.get(name);
    if (parameter?.UsePreviousValue) {
      const value = previous?.[name];
      if (value === undefined) {
        throw cloudFormationErrors.validation(
          `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      }
      values[name] = value;
    } else if (parameter?.ParameterValue !== undefined) {
      values[name] = parameter.ParameterValue;
    } else if (definition.Default !== undefined) {
      values[name] = parameterString(definition.Default);
    } else {
      missing.push(name);
      continue;
    }
    const value = values[name] as string;
    const allowed = definition.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(value)) {
      throw cloudFormationErrors.validation(`Parameter '${name}' must be one of AllowedValues`);
    }
    if (
      typeof definition.AllowedPattern === 'string' &&
      !new RegExp(`^(?:${definition.AllowedPattern})$`).test(value)
    ) {
      throw cloudFormationErrors.validation(`Parameter '${name}' must match pattern ${definition.AllowedPattern}`);
    }
  }
  if (missing.length > 0) throw cloudFormationErrors.validation(`Parameters: [${missing.join(', ')}] must have values`);
  return values;
}

/** IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM; macros need CAPABILITY_AUTO_EXPAND. */
function checkCapabilities(template: Template, capabilities: readonly Capability[]): void {
  const resources = isObject(template.Resources) ? template.Resources : {};
  let iam = false;
  let namedIam = false;
  for (const resource of Object.values(resources)) {
    if (!isObject(resource)) continue;
    const nameProperty = IAM_TYPES[String(resource.Type)];
    if (nameProperty === undefined) continue;
    iam = true;
    if (nameProperty && isObject(resource.Properties) && resource.Properties[nameProperty] !== undefined) {
      namedIam = true;
    }
  }
  if (namedIam && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_NAMED_IAM');
  }
  if (iam && !capabilities.includes('CAPABILITY_IAM') && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_IAM');
  }
  if (template.Transform !== undefined && !capabilities.includes('CAPABILITY_AUTO_EXPAND')) {
    throw cloudFormationErrors.insufficientCapabilities('CAPABILITY_AUTO_EXPAND');
  }
}

/** Logical ids of resources whose Properties say `SimulateFailure: true`. */
function failingResources(template: Template | undefined): string[] {
  const resources = isObject(template?.Resources) ? template.Resources : {};
  return Object.entries(resources)
    .filter(([, resource]) => {
      const properties = isObject(resource) && isObject(resource.Properties) ? resource.Properties : {};
      return properties.SimulateFailure === true || properties.SimulateFailure === 'true';
    })
    .map(([logicalId]) => logicalId);
}

/** Whether a resource definition refers to one of the parameters (Ref, or ${Name} in Fn::Sub). */
function referencesAny(value: unknown, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  if (Array.isArray(value)) return value.some((item) => referencesAny(item, names));
  if (!isObject(value)) return false;
  if (typeof value.Ref === 'string' && names.has(value.Ref)) return true;
  const sub = value['Fn::Sub'];
  const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  if (text !== undefined) {
    for (const match of text.matchAll(/\$\{([^}!.]+)\}/g)) if (names.has(match[1] as string)) return true;
  }
  return Object.values(value).some((child) => referencesAny(child, names));
}

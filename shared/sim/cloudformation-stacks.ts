/** The simulated stacks in memory: what CloudFormation holds per stack (the stack, its change sets, the operation
 * in progress) and how a stack or change set is found. */
import type {
  Capability,
  Change,
  ChangeSetStatus,
  DeploymentMode,
  ExecutionStatus,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import { TemplateCache } from './cloudformation-templates.ts';
import type { SimulatorContext } from './context.ts';
import { cloudFormationErrors } from './errors.ts';

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

export interface Snapshot {
  templateBody?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  description?: string;
}

export interface ChangeSetRecord extends Snapshot {
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

export interface Operation {
  kind: 'CREATE' | 'UPDATE' | 'DELETE';
  changeSet?: ChangeSetRecord;
  previous?: Snapshot;
  /** Logical ids of resources marked `SimulateFailure: true`: the operation rolls back. */
  failing: string[];
}

export interface StackEntry {
  stack: SimulatedStack;
  changeSets: ChangeSetRecord[];
  operation?: Operation;
}

export class StackStore {
  private readonly entries: StackEntry[] = [];
  readonly templates = new TemplateCache();

  constructor(private readonly context: SimulatorContext) {}

  /** A new StackId for a stack of this name. */
  stackArn(name: string): string {
    return `arn:aws:cloudformation:${this.context.region}:${this.context.accountId}:stack/${name}/${this.context.ids.uuid()}`;
  }

  /** A stack by name (never a deleted one) or by StackId (deleted ones too, as CloudFormation does). */
  find(reference: string | undefined): StackEntry | undefined {
    if (!reference) return undefined;
    if (reference.startsWith('arn:')) return this.entries.find((entry) => entry.stack.stackId === reference);
    return this.entries.find(
      (entry) => entry.stack.stackName === reference && entry.stack.status !== 'DELETE_COMPLETE',
    );
  }

  findChangeSet(changeSetName: string | undefined, stackName: string | undefined) {
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

  add(entry: StackEntry): void {
    this.entries.push(entry);
  }

  /** Every stack, deleted ones included, in creation order. */
  all(): readonly StackEntry[] {
    return this.entries;
  }
}

export function applySnapshot(stack: SimulatedStack, snapshot: Snapshot): void {
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

/** CloudFormation writes: a change set per stack, executed once computed (or deleted when it holds nothing), and
 * termination protection, which change sets cannot set. */
import {
  CreateChangeSetCommand,
  type CreateChangeSetCommandInput,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { errorName } from '../aws/errors.ts';
import { ChangeSetFailedError, ChangeSetTimeoutError, TerminalError } from '../errors.ts';
import type { CloudFormationStackDeclaration } from '../spec/repository.ts';
import { APPLY_DEFAULTS, type ApplyInput } from './contract.ts';
import { newChangeSetName } from './ids.ts';
import { type Journal, messageOf } from './journal.ts';
import { changeSetInput, provenanceOf } from './requests.ts';
import { type Decision, desiredHashOf, type ResourceGroup, type ResourceState } from './resource.ts';

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

export class StackWriter {
  private readonly changeSetPollMs: number;
  private readonly changeSetMaxPolls: number;

  constructor(
    private readonly input: ApplyInput,
    private readonly journal: Journal,
  ) {
    const options = input.options ?? {};
    this.changeSetPollMs = options.changeSetPollMs ?? APPLY_DEFAULTS.changeSetPollMs;
    this.changeSetMaxPolls = Math.max(1, options.changeSetMaxPolls ?? APPLY_DEFAULTS.changeSetMaxPolls);
  }

  async applyStack(
    declaration: CloudFormationStackDeclaration,
    group: ResourceGroup,
    state: ResourceState,
  ): Promise<Decision> {
    const action = group.actions.find((candidate) => candidate.type === 'create' || candidate.type === 'update');
    if (!action) return { outcome: 'in-sync' };
    const cloudFormation = this.input.clients.cloudFormation;
    // Change sets cannot set termination protection: it has an API call of its own, made after the change set.
    const protection = declaration.document.spec.terminationProtection;
    const protectionChanged =
      protection !== undefined &&
      (action.type === 'create'
        ? protection
        : action.changes.some((change) => change.path === '/spec/terminationProtection'));
    const stackChanges = action.changes.filter((change) => change.path !== '/spec/terminationProtection');
    if (action.type === 'update' && stackChanges.length === 0) {
      if (protectionChanged) await this.updateTerminationProtection(declaration, state, protection === true);
      return { outcome: this.journal.dryRun ? 'dry-run' : 'applied' };
    }
    const type = action.type === 'create' ? 'CREATE' : 'UPDATE';
    const settings = this.input.snapshot.settings?.document;
    const selfHeal = declaration.document.sync?.selfHeal ?? settings?.spec.sync.selfHeal ?? true;
    const changeSetName = newChangeSetName(this.input.plan.commitId);
    const request = {
      ...changeSetInput(
        declaration,
        provenanceOf(declaration, this.input.installationId, this.input.plan.commitId, desiredHashOf(group)),
        this.input.options?.defaultStackRoleArn,
      ),
      ChangeSetName: changeSetName,
      ChangeSetType: type,
      ...(type === 'UPDATE' && selfHeal ? { DeploymentMode: 'REVERT_DRIFT' as const } : {}),
    };
    const computed: { state: 'ready' | 'no-changes' } = { state: 'ready' };
    const created = await this.journal.write(state, {
      api: 'CreateChangeSet',
      changes: action.changes,
      bucket: this.journal.buckets.cloudFormationWrites,
      send: async () => {
        const output = await cloudFormation.send(new CreateChangeSetCommand(request as CreateChangeSetCommandInput));
        if (!output.Id) throw new TerminalError('CreateChangeSet answered without a change set id');
        return { changeSetArn: output.Id, ...(output.StackId ? { stackId: output.StackId } : {}) };
      },
      references: (output) => output,
      // A CreateChangeSet whose response was lost may have created it: the retry is refused as already existing.
      recover: async (error) => {
        if (errorName(error) !== 'AlreadyExistsException' || !/changeset/i.test(messageOf(error))) return undefined;
        const described = await this.journal.read(undefined, () =>
          cloudFormation.send(
            new DescribeChangeSetCommand({ ChangeSetName: changeSetName, StackName: request.StackName }),
          ),
        );
        if (!described.ChangeSetId) return undefined;
        return {
          value: { changeSetArn: described.ChangeSetId, ...(described.StackId ? { stackId: described.StackId } : {}) },
        };
      },
      // The write counts as done once CloudFormation has computed the change set (or found nothing to change).
      settle: async (output) => {
        computed.state = await this.waitForChangeSet(output.changeSetArn);
      },
    });
    if (created.dryRun) {
      await this.journal.write(state, {
        api: 'ExecuteChangeSet',
        changes: action.changes,
        bucket: this.journal.buckets.cloudFormationWrites,
        send: async () => undefined,
        references: () => ({}),
      });
      return { outcome: 'dry-run' };
    }
    const references = created.output;
    if (computed.state === 'no-changes') {
      await this.journal.write(state, {
        api: 'DeleteChangeSet',
        changes: [],
        bucket: this.journal.buckets.cloudFormationWrites,
        reason: 'the change set held no changes',
        send: async () => {
          await cloudFormation.send(new DeleteChangeSetCommand({ ChangeSetName: references.changeSetArn }));
        },
        references: () => references,
        recover: async (error) =>
          errorName(error) === 'ChangeSetNotFoundException' ? { value: undefined } : undefined,
      });
      return { outcome: 'in-sync', reason: 'CloudFormation found nothing to change; the empty change set was deleted' };
    }
    await this.journal.write(state, {
      api: 'ExecuteChangeSet',
      changes: action.changes,
      bucket: this.journal.buckets.cloudFormationWrites,
      send: async () => {
        await cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: references.changeSetArn }));
      },
      references: () => references,
      // An ExecuteChangeSet whose response was lost may have started the operation: the retry is refused because
      // the change set is executing (or done) already.
      recover: async (error) => {
        if (errorName(error) !== 'InvalidChangeSetStatusException') return undefined;
        const described = await this.journal.read(undefined, () =>
          cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: references.changeSetArn })),
        );
        const status = described.ExecutionStatus ?? '';
        return status === 'EXECUTE_IN_PROGRESS' || status === 'EXECUTE_COMPLETE' ? { value: undefined } : undefined;
      },
    });
    if (protectionChanged) await this.updateTerminationProtection(declaration, state, protection === true);
    // The stack operation is not waited for: its result arrives later (stack events, the next run's plan).
    return { outcome: 'applied' };
  }

  private async updateTerminationProtection(
    declaration: CloudFormationStackDeclaration,
    state: ResourceState,
    enable: boolean,
  ): Promise<void> {
    await this.journal.write(state, {
      api: 'UpdateTerminationProtection',
      changes: [{ path: '/spec/terminationProtection', after: enable }],
      bucket: this.journal.buckets.cloudFormationWrites,
      send: async () => {
        const output = await this.input.clients.cloudFormation.send(
          new UpdateTerminationProtectionCommand({
            StackName: declaration.document.metadata.name,
            EnableTerminationProtection: enable,
          }),
        );
        return output.StackId ? { stackId: output.StackId } : {};
      },
      references: (output) => output ?? {},
    });
  }

  /** Polls until CloudFormation has computed the change set. */
  private async waitForChangeSet(changeSetArn: string): Promise<'ready' | 'no-changes'> {
    const { changeSetPollMs, changeSetMaxPolls } = this;
    for (let poll = 1; poll <= changeSetMaxPolls; poll += 1) {
      await this.journal.sleep(changeSetPollMs);
      const described = await this.journal.read(undefined, () =>
        this.input.clients.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetArn })),
      );
      const status = described.Status ?? '';
      const executionStatus = described.ExecutionStatus ?? '';
      const reason = described.StatusReason ?? '';
      if (status === 'FAILED') {
        if (NO_CHANGES.test(reason)) return 'no-changes';
        throw new ChangeSetFailedError(
          `CloudFormation could not create the change set: ${reason || 'no reason given'}`,
        );
      }
      if (status === 'CREATE_COMPLETE') {
        if (executionStatus === 'AVAILABLE') return 'ready';
        if (executionStatus !== 'UNAVAILABLE') {
          throw new ChangeSetFailedError(
            `the change set cannot be executed: its execution status is ${executionStatus}`,
          );
        }
      } else if (status.startsWith('DELETE')) {
        throw new ChangeSetFailedError(`the change set was deleted (${status}) before it could be executed`);
      }
    }
    throw new ChangeSetTimeoutError(
      `the change set was still being computed after ${changeSetMaxPolls} polls ${changeSetPollMs} ms apart; it is left in place, and the next run creates another`,
    );
  }
}

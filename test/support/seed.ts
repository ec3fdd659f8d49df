/** Puts declarations into the simulator the way AWS users do, through the real API calls (RegisterTaskDefinition,
 * CreateService, CreateChangeSet + ExecuteChangeSet), so tests can read back what AWS would hold. */
import {
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import {
  changeSetInput,
  createServiceInput,
  type Provenance,
  registerTaskDefinitionInput,
} from '../../shared/apply/requests.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import type {
  CloudFormationStackDeclaration,
  Declaration,
  EcsServiceDeclaration,
} from '../../shared/spec/repository.ts';

export async function seedService(
  simulator: AwsSimulator,
  declaration: EcsServiceDeclaration,
  provenance?: Provenance,
): Promise<void> {
  const registered = await simulator.ecs.send(
    new RegisterTaskDefinitionCommand(
      registerTaskDefinitionInput(declaration, provenance) as RegisterTaskDefinitionCommandInput,
    ),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error('RegisterTaskDefinition returned no ARN');
  await simulator.ecs.send(
    new CreateServiceCommand(createServiceInput(declaration, arn, provenance) as CreateServiceCommandInput),
  );
}

export async function seedStack(
  simulator: AwsSimulator,
  declaration: CloudFormationStackDeclaration,
  provenance?: Provenance,
): Promise<void> {
  const input = changeSetInput(declaration, provenance);
  const created = await simulator.cloudFormation.send(
    new CreateChangeSetCommand({ ...input, ChangeSetName: 'driftless-seed', ChangeSetType: 'CREATE' }),
  );
  await simulator.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: created.Id }));
  await simulator.cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id }));
}

/** Creates every declaration and lets the simulator finish the rollouts and stack operations. */
export async function seedDeclarations(
  simulator: AwsSimulator,
  declarations: readonly Declaration[],
  provenance?: (declaration: Declaration) => Provenance,
): Promise<void> {
  for (const declaration of declarations) {
    if (declaration.kind === 'EcsService') await seedService(simulator, declaration, provenance?.(declaration));
    else await seedStack(simulator, declaration, provenance?.(declaration));
  }
  simulator.advance();
}

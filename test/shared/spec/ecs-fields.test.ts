/** Every member of CreateService, UpdateService and RegisterTaskDefinition in the pinned @aws-sdk/client-ecs, at every
 * depth, is either accepted by the declaration schema with the same shape or listed with a reason in
 * shared/spec/ecs-fields.ts; the list holds nothing the SDK lacks, and the schema declares nothing ECS does not take. */
import * as ecs from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { array, strictObject, string } from 'zod';
import { CREATE_SERVICE_ONLY, DECLARATION_ONLY, NOT_DECLARABLE } from '../../../shared/spec/ecs-fields.ts';
import { ecsServiceSpec } from '../../../shared/spec/schema.ts';
import { type MemberMap, sdkMembers, uncoveredMembers, zodEnums, zodMembers } from '../../support/ecs-sdk-members.ts';

const TASK = 'taskDefinition';
const create = sdkMembers(ecs.CreateServiceRequest$);
const update = sdkMembers(ecs.UpdateServiceRequest$);
const service: MemberMap = new Map([...create, ...update]);
const task = sdkMembers(ecs.RegisterTaskDefinitionRequest$, TASK);
const declared = zodMembers(ecsServiceSpec);

const topLevel = (members: MemberMap) => new Set([...members.keys()].filter((path) => !/[.[]/.test(path)));

describe('the SDK walk', () => {
  it('reaches nested members of every shape', () => {
    // One path per shape the walk must follow: structure in list in structure, union, document, map, nested list.
    expect(service.get('deploymentConfiguration.lifecycleHooks[].hookTargetArn')).toBe('scalar');
    expect(service.get('deploymentConfiguration.lifecycleHooks[].hookDetails')).toBe('document');
    expect(service.get('serviceConnectConfiguration.containerConfigurations[].logLevel')).toBe('scalar');
    expect(service.get('volumeConfigurations[].managedEBSVolume.tagSpecifications[].tags[].key')).toBe('scalar');
    expect(task.get('taskDefinition.containerDefinitions[].logConfiguration.options')).toBe('map');
    expect(task.get('taskDefinition.containerDefinitions[].linuxParameters.devices[].permissions')).toBe('list');
    expect(service.size + task.size).toBeGreaterThan(300);
  });

  it('reports a member added at any depth and not declared', () => {
    const leaf = [3, 'ns', 'Leaf', 0, ['kept', 'added'], [0, 1]];
    const fake = [3, 'ns', 'Request', 0, ['items', 'flag'], [() => [1, 'ns', 'Items', 0, () => leaf], 2]];
    const schema = strictObject({ items: array(strictObject({ kept: string() })) });
    expect(uncoveredMembers(sdkMembers(fake), zodMembers(schema), {})).toEqual([
      'items[].added (scalar)',
      'flag (scalar)',
    ]);
    expect(uncoveredMembers(sdkMembers(fake), zodMembers(schema), { flag: 'r', 'items[].added': 'r' })).toEqual([]);
  });
});

describe('every ECS member is declarable or listed with a reason', () => {
  it('covers CreateService and UpdateService', () => {
    expect(uncoveredMembers(service, declared, NOT_DECLARABLE.service)).toEqual([]);
  });

  it('covers RegisterTaskDefinition under spec.taskDefinition', () => {
    expect(uncoveredMembers(task, declared, NOT_DECLARABLE.taskDefinition, TASK)).toEqual([]);
  });

  it('lists only members the SDK has, each with a reason, none of them declarable', () => {
    for (const [path, reason] of Object.entries(NOT_DECLARABLE.service)) {
      expect(service.has(path), path).toBe(true);
      expect(reason.length, path).toBeGreaterThan(10);
      // The declaration's taskDefinition is the RegisterTaskDefinition input, not the SDK's ARN string.
      if (path !== TASK) expect(declared.has(path), path).toBe(false);
    }
    for (const [path, reason] of Object.entries(NOT_DECLARABLE.taskDefinition)) {
      expect(task.has(`${TASK}.${path}`), path).toBe(true);
      expect(reason.length, path).toBeGreaterThan(10);
      expect(declared.has(`${TASK}.${path}`), path).toBe(false);
    }
  });

  it('declares nothing ECS does not take, beyond driftless own fields', () => {
    const ours = (path: string) =>
      Object.keys(DECLARATION_ONLY).some((field) => path === field || path.startsWith(`${field}.`));
    const extra = [...declared.keys()].filter(
      (path) => !ours(path) && path !== TASK && !service.has(path) && !task.has(path),
    );
    expect(extra).toEqual([]);
    expect(declared.get(TASK)).toBe('structure');
  });

  it('knows which declarable fields UpdateService does not take', () => {
    const updateFields = topLevel(update);
    const createOnly = [...topLevel(create)].filter((field) => !updateFields.has(field) && declared.has(field));
    expect(createOnly.sort()).toEqual([...CREATE_SERVICE_ONLY].sort());
    const createFields = topLevel(create);
    const updateOnly = [...updateFields].filter((field) => !createFields.has(field));
    for (const field of updateOnly) expect(NOT_DECLARABLE.service, field).toHaveProperty([field]);
  });
});

/** The SDK enum (enums.d.ts) behind each enum field the schema declares; null where the SDK types the member as a
 * plain string and the values come from the API reference instead. */
const ENUM_SOURCES: Readonly<Record<string, Readonly<Record<string, string>> | null>> = {
  launchType: ecs.LaunchType,
  'networkConfiguration.awsvpcConfiguration.assignPublicIp': ecs.AssignPublicIp,
  'serviceConnectConfiguration.logConfiguration.logDriver': ecs.LogDriver,
  'serviceConnectConfiguration.accessLogConfiguration.format': ecs.ServiceConnectAccessLoggingFormat,
  'serviceConnectConfiguration.accessLogConfiguration.includeQueryParameters': ecs.ServiceConnectIncludeQueryParameters,
  'serviceConnectConfiguration.containerConfigurations[].logLevel': ecs.ServiceConnectContainerLogLevel,
  'deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration.type': ecs.ThresholdType,
  'deploymentConfiguration.strategy': ecs.DeploymentStrategy,
  'deploymentConfiguration.lifecycleHooks[].targetType': ecs.DeploymentLifecycleHookTargetType,
  'deploymentConfiguration.lifecycleHooks[].lifecycleStages[]': ecs.DeploymentLifecycleHookStage,
  'deploymentConfiguration.lifecycleHooks[].timeoutConfiguration.action': ecs.DeploymentLifecycleHookAction,
  'deploymentConfiguration.earlySuccessCriteria.sourceServiceRevisionCleanup': ecs.ServiceRevisionCleanup,
  'deploymentController.type': ecs.DeploymentControllerType,
  schedulingStrategy: ecs.SchedulingStrategy,
  'placementConstraints[].type': ecs.PlacementConstraintType,
  'placementStrategy[].type': ecs.PlacementStrategyType,
  propagateTags: ecs.PropagateTags,
  availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing,
  // EC2's volume types (CreateVolume): a string in the ECS SDK.
  'volumeConfigurations[].managedEBSVolume.volumeType': null,
  'volumeConfigurations[].managedEBSVolume.tagSpecifications[].resourceType': ecs.EBSResourceType,
  'volumeConfigurations[].managedEBSVolume.tagSpecifications[].propagateTags': ecs.PropagateTags,
  'volumeConfigurations[].managedEBSVolume.filesystemType': ecs.TaskFilesystemType,
  'taskDefinition.networkMode': ecs.NetworkMode,
  'taskDefinition.containerDefinitions[].portMappings[].protocol': ecs.TransportProtocol,
  'taskDefinition.containerDefinitions[].portMappings[].appProtocol': ecs.ApplicationProtocol,
  'taskDefinition.containerDefinitions[].linuxParameters.devices[].permissions[]': ecs.DeviceCgroupPermission,
  'taskDefinition.containerDefinitions[].dependsOn[].condition': ecs.ContainerCondition,
  'taskDefinition.containerDefinitions[].versionConsistency': ecs.VersionConsistency,
  'taskDefinition.containerDefinitions[].logConfiguration.logDriver': ecs.LogDriver,
  'taskDefinition.containerDefinitions[].resourceRequirements[].type': ecs.ResourceType,
  'taskDefinition.containerDefinitions[].firelensConfiguration.type': ecs.FirelensConfigurationType,
  'taskDefinition.volumes[].dockerVolumeConfiguration.scope': ecs.Scope,
  'taskDefinition.volumes[].efsVolumeConfiguration.transitEncryption': ecs.EFSTransitEncryption,
  'taskDefinition.volumes[].efsVolumeConfiguration.authorizationConfig.iam': ecs.EFSAuthorizationConfigIAM,
  'taskDefinition.requiresCompatibilities[]': ecs.Compatibility,
  'taskDefinition.pidMode': ecs.PidMode,
  'taskDefinition.ipcMode': ecs.IpcMode,
  'taskDefinition.runtimePlatform.cpuArchitecture': ecs.CPUArchitecture,
};

describe('enums', () => {
  it('allow exactly the values of the SDK enum behind each enum field, and every enum field names its source', () => {
    const declaredEnums = zodEnums(ecsServiceSpec);
    expect([...declaredEnums.keys()].sort()).toEqual(Object.keys(ENUM_SOURCES).sort());
    for (const [path, source] of Object.entries(ENUM_SOURCES)) {
      if (source === null) continue;
      const values = Object.values(source).sort();
      expect(declaredEnums.get(path), path).toEqual(values);
    }
  });
});

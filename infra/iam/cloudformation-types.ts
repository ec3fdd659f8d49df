/** The CloudFormation resource types a deployment allows, as the CloudFormation resource specification
 * (@aws-cdk/aws-service-spec, the database the CDK is generated from) knows them: `AWS::Svc::*` expanded to concrete
 * types, and each type tied to the IAM service and IAM resource type its API calls are authorized against. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { TerminalError } from '../../shared/errors.ts';
import { allows } from '../../shared/spec/resource-types.ts';
import { iamResourceTypes, iamServices } from './iam-data.ts';

/** A CloudFormation resource type and what the specification says about it that IAM cares for. */
export interface CloudFormationType {
  /** e.g. AWS::EC2::SecurityGroup */
  readonly name: string;
  /** e.g. arn:${Partition}:ec2:${Region}:${Account}:security-group/${GroupId}, when the specification has one. */
  readonly arnTemplate?: string;
  /** The type's property names (SecurityGroupIngress, Targets, RetentionInDays, …). */
  readonly properties: readonly string[];
  /** The type's attribute names (DefaultNetworkAcl, GroupId, …). */
  readonly attributes: readonly string[];
}

/** What `allowedResourceTypes` allows, sorted into the three kinds that need different permissions. */
export interface AllowedTypes {
  /** Concrete `AWS::…` types of the specification. */
  readonly resourceTypes: readonly CloudFormationType[];
  /** `Custom::X` types (custom resources, backed by a Lambda function or an SNS topic). */
  readonly customTypes: readonly string[];
  /** `Transform::<name>` entries (macros such as AWS::Serverless-2016-10-31). */
  readonly transforms: readonly string[];
}

/** An allowed type the specification does not know, or whose IAM service cannot be told. */
export class UnknownResourceTypeError extends TerminalError {}

/**
 * CloudFormation service namespaces whose IAM service prefix neither a resource's ARN template in the specification
 * nor the lowercased namespace gives. Kept small: the ARN templates answer for most services.
 */
export const IRREGULAR_SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  ElasticLoadBalancingV2: 'elasticloadbalancing',
  MSK: 'kafka',
  InspectorV2: 'inspector2',
  DevOpsGuru: 'devops-guru',
  AutoScalingPlans: 'autoscaling-plans',
  OpsWorksCM: 'opsworks-cm',
  ARCZonalShift: 'arc-zonal-shift',
  ComputeOptimizer: 'compute-optimizer',
  S3Outposts: 's3-outposts',
};

interface Catalogue {
  readonly byName: ReadonlyMap<string, CloudFormationType>;
  /** The IAM service most ARN templates of a namespace name, for that namespace's types without a template. */
  readonly namespaceService: ReadonlyMap<string, string>;
}

let catalogue: Catalogue | undefined;

function load(): Catalogue {
  if (catalogue) return catalogue;
  const byName = new Map<string, CloudFormationType>();
  const votes = new Map<string, Map<string, number>>();
  for (const resource of loadAwsServiceSpecSync().all('resource')) {
    const type: CloudFormationType = {
      name: resource.cloudFormationType,
      ...(resource.arnTemplate ? { arnTemplate: resource.arnTemplate } : {}),
      properties: Object.keys(resource.properties),
      attributes: Object.keys(resource.attributes),
    };
    byName.set(type.name, type);
    const service = arnService(type.arnTemplate);
    if (service === undefined) continue;
    const namespace = namespaceOf(type.name);
    const counts = votes.get(namespace) ?? new Map<string, number>();
    counts.set(service, (counts.get(service) ?? 0) + 1);
    votes.set(namespace, counts);
  }
  const namespaceService = new Map(
    [...votes].map(([namespace, counts]) => [namespace, [...counts].sort((a, b) => b[1] - a[1])[0]![0]]),
  );
  catalogue = { byName, namespaceService };
  return catalogue;
}

function arnService(arnTemplate: string | undefined): string | undefined {
  return arnTemplate?.match(/^arn:\$\{Partition\}:([a-z0-9-]+):/)?.[1];
}

/** The version of the specification database (@aws-cdk/aws-service-spec), for the record. */
export function specificationVersion(): string {
  const main = createRequire(import.meta.url).resolve('@aws-cdk/aws-service-spec');
  return (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** `AWS::EC2::VPC` → `EC2`. */
export function namespaceOf(type: string): string {
  return type.split('::')[1] ?? '';
}

/** `AWS::EC2::SecurityGroup` → `SecurityGroup`. */
export function typeNameOf(type: string): string {
  return type.split('::')[2] ?? '';
}

/** The specification's entry for `name`, if it has one. */
export function lookupType(name: string): CloudFormationType | undefined {
  return load().byName.get(name);
}

/** Every type of the specification in `namespace` (`EC2`: AWS::EC2::VPC, AWS::EC2::VPCEndpoint, …). */
export function typesOfNamespace(namespace: string): string[] {
  return [...load().byName.keys()].filter((name) => namespaceOf(name) === namespace);
}

/** Expands the deployment's `allowedResourceTypes` (already validated for shape) against the specification. */
export function expandAllowedTypes(patterns: readonly string[]): AllowedTypes {
  const { byName } = load();
  const resourceTypes = new Map<string, CloudFormationType>();
  const customTypes = new Set<string>();
  const transforms = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.startsWith('Custom::')) customTypes.add(pattern);
    else if (pattern.startsWith('Transform::')) transforms.add(pattern.slice('Transform::'.length));
    else if (pattern.endsWith('::*')) {
      // The one matching rule (shared/spec/resource-types.ts): a wildcard never reaches nested stacks, custom
      // resources or IAM types, so the role is never granted what validation and the run refuse.
      const matches = [...byName.values()].filter((type) => allows([pattern], type.name));
      if (matches.length === 0) throw new UnknownResourceTypeError(`allowedResourceTypes: no type matches ${pattern}`);
      for (const type of matches) resourceTypes.set(type.name, type);
    } else {
      const type = byName.get(pattern);
      if (!type) throw new UnknownResourceTypeError(`allowedResourceTypes: ${pattern} is not a CloudFormation type`);
      resourceTypes.set(type.name, type);
    }
  }
  return {
    resourceTypes: [...resourceTypes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    customTypes: [...customTypes].sort(),
    transforms: [...transforms].sort(),
  };
}

/**
 * The IAM service prefix the type's API calls are authorized under: the service of its own ARN template, else the
 * one most of its namespace's templates name, else the irregular table, else the lowercased namespace.
 */
export function iamServiceOf(type: CloudFormationType): string {
  const namespace = namespaceOf(type.name);
  const candidates = [
    arnService(type.arnTemplate),
    load().namespaceService.get(namespace),
    IRREGULAR_SERVICE_PREFIXES[namespace],
    namespace.toLowerCase(),
  ];
  const service = candidates.find((candidate) => candidate !== undefined && iamServices().has(candidate));
  if (service === undefined) {
    throw new UnknownResourceTypeError(`${type.name}: no IAM service found for the ${namespace} namespace`);
  }
  return service;
}

/** Placeholders stripped, so `vpc/${VpcId}` and `vpc/${Id}` compare equal. */
function arnShape(arn: string): string {
  return arn.replace(/\$\{[^}]+\}/g, '*');
}

const normalized = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** What follows the account in an ARN format, up to its first separator: `vpc`, `listener`, `rule`, or ``. */
function resourceSegment(arn: string): string {
  return (
    arn
      .split(':')
      .slice(5)
      .join(':')
      .match(/^[A-Za-z0-9-]*/)?.[0] ?? ''
  ).toLowerCase();
}

/**
 * The IAM resource types (keys in the service authorization reference) that stand for `type`: the one with the same
 * ARN shape as the specification's template, else the one named like the type (`SecurityGroup` ~ `security-group`,
 * `Listener` ~ `listener/app`), together with its variants that share the ARN's resource segment
 * (`rule-on-default-event-bus` and `rule-on-custom-event-bus`; `listener/app`, `listener/net`, `listener/gwy`).
 */
export function iamResourceTypesOf(type: CloudFormationType, service: string): string[] {
  const resourceTypes = Object.values(iamResourceTypes(service));
  const shape = type.arnTemplate ? arnShape(type.arnTemplate) : undefined;
  const name = normalized(typeNameOf(type.name));
  const match =
    resourceTypes.find((resourceType) => shape !== undefined && arnShape(resourceType.arn) === shape) ??
    resourceTypes.find((resourceType) => normalized(resourceType.key.split('/')[0]!) === name);
  if (!match) return [];
  const segment = resourceSegment(match.arn);
  if (segment === '') return [match.key];
  return resourceTypes
    .filter((resourceType) => resourceSegment(resourceType.arn) === segment)
    .map((resourceType) => resourceType.key);
}

/** One installation as CloudFormation would deploy it: the app synthesized from a context (functions not bundled: the
 * proof is about policies, not code), every intrinsic of the template resolved to the names and ARNs CloudFormation
 * would give it in one account and region, and from that, each principal driftless runs as with the policies that
 * apply to it, the environment each function is given, and the resource policies of the tables. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type FunctionEnvironment, readEnvironment } from '../../../functions/environment.ts';
import type { BundledFunctionName } from '../../../infra/bundling.ts';
import { createApp } from '../../../infra/create-app.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
/** The principal break-glass users act as: a role carrying the stack's pause policy and nothing else. */
export const BREAK_GLASS = 'break-glass';

type Json = Record<string, unknown>;

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Json[];
}

export interface Principal {
  /** A function's name, or `break-glass`. */
  readonly name: string;
  readonly arn: string;
  /** Its identity policies, each named by the logical id it comes from. */
  readonly policies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
}

export interface Installation {
  readonly context: Readonly<Record<string, string>>;
  readonly principals: ReadonlyMap<string, Principal>;
  /** Every policy document of the template (identity and resource policies), for the statement check. */
  readonly documents: readonly { readonly name: string; readonly policy: PolicyDocument }[];
  /** The physical names CloudFormation gives the two tables. */
  readonly ledgerTable: string;
  readonly lockTable: string;
  /** The environment a function runs with, as the handler reads it (plus where it runs). */
  environment(name: BundledFunctionName): FunctionEnvironment;
  /** The environment variables a function is given (with AWS_REGION), for wiring that reads them itself. */
  variables(name: BundledFunctionName): Record<string, string>;
  /** The resource policy that governs a request on `resource` (a table's also governs its indexes). */
  resourcePolicyOf(resource: string): PolicyDocument | undefined;
}

/** The name CloudFormation generates for a resource that names none (the shape does not matter, only stability). */
function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

const EXPLICIT_NAME: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::CodeCommit::Repository': 'RepositoryName',
  'AWS::SNS::Topic': 'TopicName',
};

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split as CloudFormation would in one account. */
class Resolver {
  constructor(
    private readonly stackName: string,
    private readonly resources: Record<string, Json>,
  ) {}

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Json);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.attribute(String(logicalId), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Sub': {
        const [pattern, variables = {}] = Array.isArray(argument) ? argument : [argument];
        const values = this.resolve(variables) as Record<string, unknown>;
        return String(pattern).replace(/\$\{([^}]+)\}/g, (_match, reference: string) => {
          if (reference in values) return String(values[reference]);
          const [logicalId = '', attribute] = reference.split('.');
          return String(attribute === undefined ? this.ref(logicalId) : this.attribute(logicalId, attribute));
        });
      }
      case 'Fn::Select': {
        const [index, items] = argument as [unknown, unknown];
        return (this.resolve(items) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(this.resolve(source)).split(separator);
      }
      default:
        throw new Error(`the proof cannot resolve ${name}`);
    }
  }

  private ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': PARTITION,
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::StackName': this.stackName,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (logicalId in pseudo) return pseudo[logicalId] as string;
    const resource = this.resource(logicalId);
    const type = String(resource.Type);
    const name = this.physicalName(logicalId);
    if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
    if (type === 'AWS::IAM::ManagedPolicy') return `arn:${PARTITION}:iam::${ACCOUNT}:policy/${name}`;
    if (type === 'AWS::SNS::Topic') return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name}`;
    return name;
  }

  private attribute(logicalId: string, attribute: string): string {
    const type = String(this.resource(logicalId).Type);
    const name = this.physicalName(logicalId);
    const regional = (service: string, resource: string) =>
      `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}`;
    const arns: Record<string, () => string> = {
      'AWS::DynamoDB::Table.Arn': () => regional('dynamodb', `table/${name}`),
      'AWS::IAM::Role.Arn': () => `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`,
      'AWS::SQS::Queue.Arn': () => regional('sqs', name),
      'AWS::SQS::Queue.QueueName': () => name,
      'AWS::Logs::LogGroup.Arn': () => regional('logs', `log-group:${name}:*`),
      'AWS::Lambda::Function.Arn': () => regional('lambda', `function:${name}`),
      'AWS::CodeCommit::Repository.Arn': () => regional('codecommit', name),
      'AWS::CodeCommit::Repository.CloneUrlHttp': () =>
        `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/${name}`,
      'AWS::Events::Rule.Arn': () => regional('events', `rule/${name}`),
      'AWS::S3::Bucket.Arn': () => `arn:${PARTITION}:s3:::${name}`,
      'AWS::CloudTrail::Trail.Arn': () => regional('cloudtrail', `trail/${name}`),
    };
    const found = arns[`${type}.${attribute}`];
    if (!found) throw new Error(`the proof cannot resolve Fn::GetAtt ${type}.${attribute} (${logicalId})`);
    return found();
  }

  private resource(logicalId: string): Json {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  }

  private physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const property = EXPLICIT_NAME[String(resource.Type)];
    const explicit = property === undefined ? undefined : (resource.Properties as Json | undefined)?.[property];
    return explicit === undefined ? generatedName(this.stackName, logicalId) : String(this.resolve(explicit));
  }
}

const refersTo = (references: unknown, logicalId: string) =>
  Array.isArray(references) && references.some((reference) => (reference as Json).Ref === logicalId);

/** Synthesizes the app with `context` and resolves what the proof needs from the template. */
export function deployInstallation(context: Readonly<Record<string, string>>): Installation {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-iam-'));
  try {
    const { stack, settings } = createApp({ ...context, 'aws:cdk:bundling-stacks': [] }, { outdir });
    const raw = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    const resolver = new Resolver(settings.stackName, raw);
    const resources = Object.fromEntries(
      Object.entries(raw).map(([logicalId, resource]) => [
        logicalId,
        { ...resource, Properties: resolver.resolve(resource.Properties ?? {}) as Json },
      ]),
    ) as Record<string, { Type: string; Properties: Json }>;
    const logicalIdOf = (element: unknown) => Stack.of(stack).getLogicalId(element as CfnElement);
    const propertiesOf = (logicalId: string): Json => resources[logicalId]?.Properties ?? {};

    const identityPolicies = (roleLogicalId: string) =>
      Object.entries(raw)
        .filter(
          ([, resource]) =>
            (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
            refersTo((resource.Properties as Json).Roles, roleLogicalId),
        )
        .map(([name]) => ({ name, policy: propertiesOf(name).PolicyDocument as PolicyDocument }));

    const principals = new Map<string, Principal>();
    const functionIds = new Map<string, string>();
    // The webhook receiver (GitHub and GitLab sources only) is a principal like the reconcilers.
    const receiver = stack.webhook ? [['webhook', stack.webhook.receiver] as const] : [];
    for (const [name, fn] of [...Object.entries(stack.functions), ...receiver]) {
      if (!fn) continue;
      const roleId = logicalIdOf(fn.role.node.defaultChild);
      const role = propertiesOf(roleId);
      if (role.ManagedPolicyArns !== undefined || role.Policies !== undefined) {
        throw new Error(`${name}'s role has policies the proof does not read (managed or inline)`);
      }
      principals.set(name, {
        name,
        arn: `arn:${PARTITION}:iam::${ACCOUNT}:role/${generatedName(settings.stackName, roleId)}`,
        policies: identityPolicies(roleId),
      });
      functionIds.set(name, logicalIdOf(fn.function.node.defaultChild));
    }
    const pausePolicy = logicalIdOf(stack.pausePolicy.node.defaultChild);
    principals.set(BREAK_GLASS, {
      name: BREAK_GLASS,
      arn: `arn:${PARTITION}:iam::${ACCOUNT}:role/platform-break-glass`,
      policies: [{ name: pausePolicy, policy: propertiesOf(pausePolicy).PolicyDocument as PolicyDocument }],
    });

    const tableName = (table: unknown) => String(resolver.resolve({ Ref: logicalIdOf(table) }));
    const tablePolicies = new Map<string, PolicyDocument>();
    for (const [logicalId, resource] of Object.entries(resources)) {
      const document = (resource.Properties.ResourcePolicy as Json | undefined)?.PolicyDocument;
      if (resource.Type === 'AWS::DynamoDB::Table' && document) {
        tablePolicies.set(
          `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${resolver.resolve({ Ref: logicalId })}`,
          document as PolicyDocument,
        );
      }
    }
    const documents = Object.entries(resources).flatMap(([name, resource]) => {
      const properties = resource.Properties;
      const found = [
        properties.PolicyDocument,
        (properties.ResourcePolicy as Json | undefined)?.PolicyDocument,
        properties.AssumeRolePolicyDocument,
        ...((properties.Policies as Json[] | undefined) ?? []).map((policy) => policy.PolicyDocument),
      ].filter((document): document is PolicyDocument => typeof document === 'object' && document !== null);
      return found.map((policy) => ({ name, policy }));
    });

    const variables = (name: BundledFunctionName): Record<string, string> => {
      const functionId = functionIds.get(name);
      if (functionId === undefined) throw new Error(`this installation has no ${name} function`);
      const given = (propertiesOf(functionId).Environment as Json).Variables as Record<string, string>;
      return { ...given, AWS_REGION: REGION };
    };

    return {
      context,
      principals,
      documents,
      ledgerTable: tableName(stack.tables.ledgerTable.node.defaultChild),
      lockTable: tableName(stack.tables.lockTable.node.defaultChild),
      environment(name) {
        return {
          ...readEnvironment(variables(name)),
          partition: PARTITION,
          account: ACCOUNT,
          region: REGION,
        };
      },
      variables,
      resourcePolicyOf(resource) {
        const table = /^(arn:[^:]+:dynamodb:[^:]+:\d+:table\/[^/]+)/.exec(resource)?.[1];
        return table === undefined ? undefined : tablePolicies.get(table);
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

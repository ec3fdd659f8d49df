/** What a simulated stack's resources look like from outside: stable fake physical ids, and the outputs DescribeStacks
 * lists with their values worked out. */
import type { Output, StackStatus } from '@aws-sdk/client-cloudformation';
import type { SimulatedStack } from './cloudformation-stacks.ts';
import { isObject, type Template } from './cloudformation-templates.ts';
import type { SimulatorContext } from './context.ts';
import { stableHex } from './ids.ts';

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

/** Statuses in which DescribeStacks lists outputs: a stack whose resources exist. */
export function hasOutputs(status: StackStatus): boolean {
  return ![
    'REVIEW_IN_PROGRESS',
    'CREATE_IN_PROGRESS',
    'ROLLBACK_IN_PROGRESS',
    'ROLLBACK_COMPLETE',
    'DELETE_COMPLETE',
  ].includes(status);
}

/** A resource's physical id: the same stack and logical id always get the same one, shaped as its type's are. */
export function physicalId(context: SimulatorContext, stack: SimulatedStack, logicalId: string, type: string): string {
  const hex = stableHex(17, stack.stackId, logicalId);
  const prefix = EC2_ID_PREFIXES[type];
  if (prefix) return `${prefix}${hex}`;
  const generated = `${stack.stackName}-${logicalId}-${hex.slice(0, 13).toUpperCase()}`;
  if (type === 'AWS::SNS::Topic') {
    return `arn:aws:sns:${context.region}:${context.accountId}:${generated}`;
  }
  if (type === 'AWS::S3::Bucket') return generated.toLowerCase().slice(0, 63);
  return generated;
}

/** Outputs with their values worked out: literals as they are, parameter references resolved, and anything only
 * a real deployment would know (resource ids, attributes) as stable fake values. */
export function stackOutputs(
  context: SimulatorContext,
  stack: SimulatedStack,
  template: Template | undefined,
  parameters: Record<string, string>,
): Output[] {
  if (!template || !isObject(template.Outputs)) return [];
  const resources = isObject(template.Resources) ? template.Resources : {};
  const typeOf = (logicalId: string) => {
    const resource = resources[logicalId];
    return isObject(resource) ? String(resource.Type ?? '') : '';
  };
  const pseudo: Record<string, string> = {
    'AWS::Region': context.region,
    'AWS::AccountId': context.accountId,
    'AWS::StackName': stack.stackName,
    'AWS::StackId': stack.stackId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => {
    if (name in parameters) return parameters[name] as string;
    if (name in pseudo) return pseudo[name] as string;
    return physicalId(context, stack, name, typeOf(name));
  };
  const attribute = (logicalId: string, name: string): string => {
    const physical = physicalId(context, stack, logicalId, typeOf(logicalId));
    if (name === 'Arn') {
      if (physical.startsWith('arn:')) return physical;
      const [, service = 'unknown', kind = 'resource'] = typeOf(logicalId).split('::');
      return `arn:aws:${service.toLowerCase()}:${context.region}:${context.accountId}:${kind.toLowerCase()}/${physical}`;
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
    return physicalId(context, stack, fallbackId, '');
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

/** What driftless knows of a resource as it runs in AWS: the API's own objects, JSON-shaped, so the pure planner
 * can normalize them without importing the SDK. Dates are ISO strings. */

/** DescribeServices' `services[]` item, as JSON. */
export type DescribedService = Record<string, unknown>;
/** DescribeTaskDefinition's `taskDefinition`, as JSON. */
export type DescribedTaskDefinition = Record<string, unknown>;
/** DescribeStacks' `Stacks[]` item, as JSON. */
export type DescribedStack = Record<string, unknown>;

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface LiveEcsService {
  readonly kind: 'EcsService';
  /** EcsService:<cluster name>/<service name>, the same identity declarations have. */
  readonly id: string;
  readonly cluster: string;
  readonly name: string;
  readonly service: DescribedService;
  /** The task definition the service runs (its `taskDefinition` ARN), with its tags. */
  readonly taskDefinition: DescribedTaskDefinition;
  readonly taskDefinitionTags: readonly Tag[];
}

export interface LiveStack {
  readonly kind: 'CloudFormationStack';
  /** CloudFormationStack:<stack name>. */
  readonly id: string;
  readonly name: string;
  readonly stack: DescribedStack;
  /** GetTemplate's TemplateBody (Original stage); absent while the stack is busy or when not read. */
  readonly templateBody?: string;
}

export type LiveResource = LiveEcsService | LiveStack;

/** The result of reading live state for a set of identities: each is either present or known to be absent. */
export interface LiveState {
  readonly resources: ReadonlyMap<string, LiveResource>;
  /** Identities that were looked up and do not exist (missing, INACTIVE, DELETE_COMPLETE). */
  readonly absent: ReadonlySet<string>;
}

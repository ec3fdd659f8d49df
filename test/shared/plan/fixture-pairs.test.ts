/**
 * Declaration / live pairs, in the style of gitops-engine's pkg/diff/testdata: each folder under test/fixtures/plan
 * holds the declarations as users write them, the AWS API responses as the API reference shapes them, and the plan
 * expected from them. The live state is read through the real readers from mocked clients, so the pairs test the
 * readers, the normalizer and the planner together.
 *
 * A case folder holds:
 * - declarations/**.yaml: EcsService and CloudFormationStack declarations; *.template.(yaml|json) are templates,
 *   named by a stack's spec.template relative to its declaration;
 * - settings.yaml (optional): the Settings document, instead of snapshotOf's default;
 * - aws/describe-services.json: the DescribeServices response ({ services, failures }) for every declared service;
 * - aws/describe-task-definition.json: task definition ARN → DescribeTaskDefinition response ({ taskDefinition, tags });
 * - aws/describe-stacks.json: stack name → DescribeStacks response, or { "error": "ValidationError", "message" };
 * - aws/get-template.json: stack name → GetTemplate response ({ TemplateBody, StagesAvailable });
 * - expected.json: the plan, compactly (see Expected).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  GetTemplateCommand,
  type GetTemplateCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  ClientException,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { readLiveState } from '../../../shared/live/read.ts';
import type { Json } from '../../../shared/plan/normalize.ts';
import { type Action, buildPlan, type PlanSummary } from '../../../shared/plan/plan.ts';
import { snapshotOf } from '../../support/snapshots.ts';

const FIXTURES = new URL('../../fixtures/plan/', import.meta.url).pathname;
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' };
/** Members the SDK deserializes to Date; the fixtures hold them as ISO strings. */
const DATE_FIELDS = new Set([
  'createdAt',
  'updatedAt',
  'registeredAt',
  'deregisteredAt',
  'CreationTime',
  'LastUpdatedTime',
  'DeletionTime',
]);

interface ExpectedChange {
  readonly path: string;
  readonly before?: Json;
  readonly after?: Json;
}

interface ExpectedIgnored extends ExpectedChange {
  readonly rule: string;
}

interface ExpectedAction {
  readonly type: Action['type'];
  readonly id: string;
  /** Required for every type but create, whose changes (the whole declaration) are not compared. */
  readonly changes?: readonly ExpectedChange[];
  /** Compared always: absent means none. */
  readonly ignored?: readonly ExpectedIgnored[];
  readonly health?: Action['health'];
}

interface Expected {
  /** What the case proves, in one sentence. */
  readonly description: string;
  readonly actions: readonly ExpectedAction[];
  readonly summary: PlanSummary;
  /** Exact number of calls per API operation, for the operations named. */
  readonly calls?: Partial<Record<Operation, number>>;
  /** Strings that must appear nowhere in the plan (declared values that are secret). */
  readonly absentFromPlan?: readonly string[];
}

type Operation = 'DescribeServices' | 'DescribeTaskDefinition' | 'DescribeStacks' | 'GetTemplate';

interface StackError {
  readonly error: string;
  readonly message?: string;
}

interface FixtureCase {
  readonly name: string;
  readonly declarations: Record<string, string>;
  readonly templates: Record<string, string>;
  readonly settings?: string;
  readonly describeServices?: DescribeServicesCommandOutput;
  readonly taskDefinitions?: Record<string, DescribeTaskDefinitionCommandOutput>;
  readonly stacks?: Record<string, DescribeStacksCommandOutput | StackError>;
  readonly templateBodies?: Record<string, GetTemplateCommandOutput>;
  readonly expected: Expected;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

function readJson<T>(dir: string, file: string): T | undefined {
  const path = join(dir, file);
  return existsSync(path) ? reviveDates(JSON.parse(readFileSync(path, 'utf8'))) : undefined;
}

/** ISO strings under the SDK's timestamp members become Dates, as the SDK's deserializers return them. */
function reviveDates<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reviveDates) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        DATE_FIELDS.has(key) && typeof child === 'string' ? new Date(child) : reviveDates(child),
      ]),
    ) as T;
  }
  return value;
}

function loadCase(name: string): FixtureCase {
  const dir = join(FIXTURES, name);
  const declarationsDir = join(dir, 'declarations');
  const declarations: Record<string, string> = {};
  const templates: Record<string, string> = {};
  for (const file of filesUnder(declarationsDir)) {
    if (/\.template\.(ya?ml|json)$/.test(file)) continue;
    const text = readFileSync(join(declarationsDir, file), 'utf8');
    declarations[file] = text;
    const document = parse(text) as { kind?: string; spec?: { template?: string } };
    if (document.kind === 'CloudFormationStack' && document.spec?.template !== undefined) {
      // snapshotOf looks templates up by spec.template as written; the file sits next to its declaration.
      const path = posix.join(dirname(file), document.spec.template);
      templates[document.spec.template] = readFileSync(join(declarationsDir, path), 'utf8');
    }
  }
  const settingsPath = join(dir, 'settings.yaml');
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  return {
    name,
    declarations,
    templates,
    ...(existsSync(settingsPath) ? { settings: readFileSync(settingsPath, 'utf8') } : {}),
    ...optional('describeServices', readJson<DescribeServicesCommandOutput>(dir, 'aws/describe-services.json')),
    ...optional('taskDefinitions', readJson<FixtureCase['taskDefinitions']>(dir, 'aws/describe-task-definition.json')),
    ...optional('stacks', readJson<FixtureCase['stacks']>(dir, 'aws/describe-stacks.json')),
    ...optional('templateBodies', readJson<FixtureCase['templateBodies']>(dir, 'aws/get-template.json')),
    expected,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function lastSegment(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}

/** The cluster a service or failure ARN names (arn:…:service/<cluster>/<name>); undefined for the old short form. */
function clusterOfServiceArn(arn: string | undefined): string | undefined {
  const match = /:service\/([^/]+)\/[^/]+$/.exec(arn ?? '');
  return match?.[1];
}

function fixtureMissing(what: string): ClientException {
  return new ClientException({ $metadata: { httpStatusCode: 400 }, message: `the fixture has no ${what}` });
}

const ecs = mockClient(ECSClient);
const cloudFormation = mockClient(CloudFormationClient);

afterEach(() => {
  ecs.reset();
  cloudFormation.reset();
});

/** Answers as ECS and CloudFormation would from the fixture's responses: only what was asked for. */
function mockAws(fixture: FixtureCase): void {
  ecs.on(DescribeServicesCommand).callsFake((input: { cluster?: string; services?: string[]; include?: string[] }) => {
    if (!fixture.describeServices) throw fixtureMissing('aws/describe-services.json');
    const cluster = lastSegment(input.cluster ?? 'default');
    const asked = new Set((input.services ?? []).map(lastSegment));
    const withTags = input.include?.includes('TAGS') ?? false;
    const services = (fixture.describeServices.services ?? [])
      .filter((service) => asked.has(service.serviceName ?? '') && lastSegment(service.clusterArn ?? '') === cluster)
      .map((service) => {
        if (withTags) return service;
        const { tags: _tags, ...untagged } = service;
        return untagged;
      });
    const failures = (fixture.describeServices.failures ?? []).filter(
      (failure) =>
        asked.has(lastSegment(failure.arn ?? '')) && (clusterOfServiceArn(failure.arn) ?? cluster) === cluster,
    );
    return { $metadata: {}, services, failures };
  });
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition?: string; include?: string[] }) => {
    const response = fixture.taskDefinitions?.[input.taskDefinition ?? ''];
    if (!response) throw fixtureMissing(`task definition ${input.taskDefinition} in aws/describe-task-definition.json`);
    const withTags = input.include?.includes('TAGS') ?? false;
    return { $metadata: {}, taskDefinition: response.taskDefinition, ...(withTags ? { tags: response.tags } : {}) };
  });
  cloudFormation.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
    const name = input.StackName ?? '';
    const response = fixture.stacks?.[name];
    if (!response) throw new Error(`the fixture has no stack ${name} in aws/describe-stacks.json`);
    if ('error' in response) {
      throw new CloudFormationServiceException({
        name: response.error,
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: response.message ?? `Stack with id ${name} does not exist`,
      });
    }
    return { ...response, $metadata: {} };
  });
  cloudFormation.on(GetTemplateCommand).callsFake((input: { StackName?: string }) => {
    const asked = input.StackName ?? '';
    // By name or by StackId, as CloudFormation accepts both.
    const name = Object.entries(fixture.stacks ?? {}).find(
      ([stackName, response]) =>
        stackName === asked || ('Stacks' in response && response.Stacks?.[0]?.StackId === asked),
    )?.[0];
    const response = name === undefined ? undefined : fixture.templateBodies?.[name];
    if (!response) throw new Error(`the fixture has no template for ${asked} in aws/get-template.json`);
    return { ...response, $metadata: {} };
  });
}

function callCount(operation: Operation): number {
  switch (operation) {
    case 'DescribeServices':
      return ecs.commandCalls(DescribeServicesCommand).length;
    case 'DescribeTaskDefinition':
      return ecs.commandCalls(DescribeTaskDefinitionCommand).length;
    case 'DescribeStacks':
      return cloudFormation.commandCalls(DescribeStacksCommand).length;
    case 'GetTemplate':
      return cloudFormation.commandCalls(GetTemplateCommand).length;
  }
}

/** The plan in the compact form expected.json uses: exactly what each case pins down. */
function compact(actions: readonly Action[], expected: readonly ExpectedAction[]): ExpectedAction[] {
  return actions.map((action, index) => ({
    type: action.type,
    id: action.id,
    ...(action.type === 'create' ? {} : { changes: action.changes }),
    ...(action.ignored.length > 0
      ? { ignored: action.ignored.map(({ path, before, after, rule }) => ({ path, before, after, rule })) }
      : {}),
    ...(expected[index]?.health === undefined ? {} : { health: action.health }),
  }));
}

/** before/after keys present but undefined compare equal to absent ones under toEqual; this keeps them absent. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('plan fixture pairs (test/fixtures/plan)', () => {
  it('has a corpus to run', () => {
    expect(cases.length).toBeGreaterThanOrEqual(22);
  });

  it.each(cases)('%s', async (name) => {
    const fixture = loadCase(name);
    const { expected } = fixture;
    expect(expected.description, 'expected.json says what the case proves').toMatch(/\S/);
    for (const action of expected.actions) {
      if (action.type === 'create') expect(action.changes, `${name}: creates do not list changes`).toBeUndefined();
      else expect(action.changes, `${name}: ${action.type} ${action.id} lists its changes`).toBeDefined();
    }
    mockAws(fixture);

    const snapshot = snapshotOf(fixture.declarations, {
      templates: fixture.templates,
      ...(fixture.settings === undefined ? {} : { settings: fixture.settings }),
    });
    const { live } = await readLiveState(snapshot, {
      ecs: new EcsLiveReader({ client: new ECSClient({ region: REGION, credentials: CREDENTIALS }) }),
      cloudFormation: new CloudFormationLiveReader({
        client: new CloudFormationClient({ region: REGION, credentials: CREDENTIALS }),
      }),
    });
    const plan = buildPlan({ snapshot, live });

    expect(withoutUndefined(compact(plan.actions, expected.actions))).toEqual(expected.actions);
    expect(plan.summary).toEqual(expected.summary);
    for (const [operation, count] of Object.entries(expected.calls ?? {})) {
      expect(callCount(operation as Operation), `${operation} calls`).toBe(count);
    }
    const text = JSON.stringify(plan);
    for (const secret of expected.absentFromPlan ?? []) {
      expect(text.includes(secret), 'a declared secret value is in the plan').toBe(false);
    }
  });
});

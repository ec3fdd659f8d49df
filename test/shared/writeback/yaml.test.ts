/** Drift adoption's write-back: live values written into declaration text, comments and formatting kept, and the
 * round trip (after write-back, the declaration's canonical form IS the live one) over realistic declarations. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WriteBackError } from '../../../shared/errors.ts';
import { diff } from '../../../shared/plan/diff.ts';
import { normalizeDeclaredService, normalizeDeclaredStack } from '../../../shared/plan/normalize.ts';
import { parseTemplate } from '../../../shared/spec/cloudformation-yaml.ts';
import type { Declaration } from '../../../shared/spec/repository.ts';
import { adoptionFiles, documentIndexAt, toDeclarationShape, writeBack } from '../../../shared/writeback/yaml.ts';
import { EXAMPLE_REPO_DIR } from '../../support/fixtures.ts';

const WEB = readFileSync(`${EXAMPLE_REPO_DIR}services/web.yaml`, 'utf8');
const FIXTURES = new URL('../../fixtures/no-false-drift/', import.meta.url).pathname;

describe('writeBack', () => {
  it('writes a changed environment value into its list item and keeps everything else byte for byte', () => {
    // Act
    const text = writeBack(WEB, 0, [
      {
        path: '/spec/taskDefinition/containerDefinitions/web/environment/LOG_LEVEL',
        before: 'debug',
        after: 'info',
      },
    ]);

    // Assess
    expect(text).toBe(WEB.replace('{ name: LOG_LEVEL, value: info }', '{ name: LOG_LEVEL, value: debug }'));
  });

  it('appends a variable set only live, deletes one absent live, and sets a scalar', () => {
    // Act
    const text = writeBack(WEB, 0, [
      { path: '/spec/taskDefinition/containerDefinitions/web/environment/FEATURE_X', before: 'on' },
      { path: '/spec/taskDefinition/containerDefinitions/web/environment/UPSTREAM_URL', after: 'http://x' },
      { path: '/spec/desiredCount', before: 5, after: 3 },
      { path: '/spec/tags/team', before: 'checkout', after: 'storefront' },
    ]);

    // Assess
    expect(text).toBe(
      WEB.replace('desiredCount: 3', 'desiredCount: 5')
        .replace('- { key: team, value: storefront }', '- { key: team, value: checkout }')
        .replace(
          '          - { name: LOG_LEVEL, value: info }\n          - { name: UPSTREAM_URL, value: "http://api.prod.internal:8080" }\n',
          '          - { name: LOG_LEVEL, value: info }\n          - { name: FEATURE_X, value: on }\n',
        ),
    );
  });

  it('turns a keyed subtree set only live back into a list, and creates missing parents', () => {
    // Act
    const text = writeBack(WEB, 0, [
      {
        path: '/spec/taskDefinition/containerDefinitions/web/ulimits',
        before: { nofile: { name: 'nofile', softLimit: 1024, hardLimit: 4096 } },
      },
      { path: '/spec/taskDefinition/ephemeralStorage/sizeInGiB', before: 30 },
    ]);

    // Assess
    const spec = parse(text).spec;
    expect(spec.taskDefinition.containerDefinitions[0].ulimits).toEqual([
      { name: 'nofile', softLimit: 1024, hardLimit: 4096 },
    ]);
    expect(spec.taskDefinition.ephemeralStorage).toEqual({ sizeInGiB: 30 });
    expect(text.split('\n').slice(0, 2)).toEqual(WEB.split('\n').slice(0, 2));
  });

  it('refuses a masked live value: a mask (or a secret) is never written to Git', () => {
    // Act
    const attempt = () =>
      writeBack(WEB, 0, [
        {
          path: '/spec/taskDefinition/containerDefinitions/web/environment/API_TOKEN',
          before: '(masked)',
          after: '(masked)',
        },
      ]);

    // Assess
    expect(attempt).toThrow(WriteBackError);
    expect(attempt).toThrow(/API_TOKEN is masked/);
  });

  it('changes only the document that holds the declaration in a file of several', () => {
    // Prepare
    const text = `${WEB}---\n# the second one\n${WEB.replace('name: web', 'name: web2')}`;
    const secondLine = text.split('\n').indexOf('# the second one') + 2;

    // Act
    const index = documentIndexAt(text, secondLine);
    const written = writeBack(text, index, [{ path: '/spec/desiredCount', before: 7, after: 3 }]);

    // Assess
    expect(index).toBe(1);
    expect(documentIndexAt(text, 3)).toBe(0);
    const [first, second] = written.split('\n---\n');
    expect(first).toContain('desiredCount: 3');
    expect(second).toContain('desiredCount: 7');
    expect(second).toContain('# the second one');
  });

  it('writes stack parameters, tags and termination protection', () => {
    // Prepare
    const text = readFileSync(`${FIXTURES}stacks/platform-ledger-db.yaml`, 'utf8');

    // Act
    const written = writeBack(text, 0, [
      { path: '/spec/parameters/Environment', before: 'staging', after: 'prod' },
      { path: '/spec/tags/cost-center', after: '4120' },
      { path: '/spec/tags/owner', before: 'dba' },
      { path: '/spec/terminationProtection', after: true },
    ]);

    // Assess
    expect(parse(written).spec).toMatchObject({
      parameters: { Environment: 'staging' },
      tags: { team: 'ledger', 'data-classification': 'restricted', owner: 'dba' },
      terminationProtection: false,
    });
    expect(parse(written).spec.tags).not.toHaveProperty('cost-center');
    expect(written).toContain('# The ledger');
  });

  it('leaves a file it has nothing to write into exactly as it was', () => {
    expect(writeBack(WEB, 0, [])).toBe(WEB);
  });

  it('shapes canonical maps back into lists by the keys normalize uses', () => {
    expect(toDeclarationShape(['spec', 'tags'], { a: '1' })).toEqual([{ key: 'a', value: '1' }]);
    expect(
      toDeclarationShape(['spec', 'taskDefinition', 'containerDefinitions'], {
        app: { name: 'app', image: 'x', secrets: { S: 'arn:aws:ssm:::parameter/s' } },
      }),
    ).toEqual([{ name: 'app', image: 'x', secrets: [{ name: 'S', valueFrom: 'arn:aws:ssm:::parameter/s' }] }]);
    expect(toDeclarationShape(['spec', 'capacityProviderStrategy'], { FARGATE: { weight: 1, base: 0 } })).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 0 },
    ]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: hot-fixes reach freely into parsed YAML, as a console user would.
type Spec = Record<string, any>;

/** Hot-fixes someone might make in the console, applied to a declaration's spec to make "live". */
const HOT_FIXES: Record<string, (spec: Spec) => void> = {
  'scale out': (spec) => {
    spec.desiredCount = (spec.desiredCount ?? 1) + 2;
  },
  'new image': (spec) => {
    spec.taskDefinition.containerDefinitions[0].image += '-hotfix';
  },
  'add, change and remove variables': (spec) => {
    const container = spec.taskDefinition.containerDefinitions[0];
    container.environment ??= [];
    const environment = container.environment;
    if (environment.length > 1) environment.splice(1, 1);
    if (environment[0]) environment[0].value = `${environment[0].value}-patched`;
    environment.push({ name: 'HOTFIX_FLAG', value: 'on' });
  },
  'more memory and a tag': (spec) => {
    spec.taskDefinition.memory = '4096';
    spec.tags = [...(spec.tags ?? []).filter((tag: Spec) => tag.key !== 'oncall'), { key: 'oncall', value: 'yes' }];
  },
  'deployment tuning': (spec) => {
    spec.deploymentConfiguration = { ...(spec.deploymentConfiguration ?? {}), maximumPercent: 175 };
  },
  'a new container': (spec) => {
    spec.taskDefinition.containerDefinitions.push({
      name: 'debug-sidecar',
      image: 'public.ecr.aws/docker/library/busybox:1.36',
      essential: false,
      environment: [{ name: 'MODE', value: 'trace' }],
      portMappings: [{ containerPort: 9901 }],
    });
  },
};

describe('writeBack round trip over the no-false-drift declarations', () => {
  const services = readdirSync(`${FIXTURES}services`).filter((file) => file.endsWith('.yaml'));
  const cases = services.flatMap((file) => Object.keys(HOT_FIXES).map((fix) => ({ file, fix })));

  it.each(cases)('$file, $fix: the written declaration is canonically the live one', ({ file, fix }) => {
    // Prepare
    const text = readFileSync(`${FIXTURES}services/${file}`, 'utf8');
    const declared = parse(text);
    const live = structuredClone(declared);
    HOT_FIXES[fix]!(live.spec);
    const changes = diff(normalizeDeclaredService(live.spec), normalizeDeclaredService(declared.spec));

    // Act
    const written = writeBack(text, 0, changes);

    // Assess: (autoscaled and daemon services have no count to drift)
    expect(changes.length > 0 || fix === 'scale out').toBe(true);
    expect(diff(normalizeDeclaredService(live.spec), normalizeDeclaredService(parse(written).spec))).toEqual([]);
    expect(written.split('\n')[0]).toBe(text.split('\n')[0]);
  });

  it('round-trips stack parameter and tag drift', () => {
    // Prepare
    const text = readFileSync(`${FIXTURES}stacks/platform-ledger-db.yaml`, 'utf8');
    const template =
      parseTemplate(readFileSync(`${FIXTURES}stacks/platform-ledger-db.template.yaml`, 'utf8')).template ?? {};
    const declared = parse(text);
    const live = structuredClone(declared);
    live.spec.parameters.Environment = 'prod-eu';
    delete live.spec.tags['cost-center'];
    live.spec.tags.hotfix = 'INC-4411';
    const canonical = (spec: Spec) => normalizeDeclaredStack({ spec, template });

    // Act
    const written = writeBack(text, 0, diff(canonical(live.spec), canonical(declared.spec)));

    // Assess
    expect(diff(canonical(live.spec), canonical(parse(written).spec))).toEqual([]);
  });
});

describe('adoptionFiles', () => {
  const network = readFileSync(`${EXAMPLE_REPO_DIR}stacks/network.yaml`, 'utf8');
  const templateBody = readFileSync(`${EXAMPLE_REPO_DIR}stacks/network.template.yaml`, 'utf8');
  const declaration = {
    kind: 'CloudFormationStack',
    id: 'CloudFormationStack:platform-network',
    document: parse(network),
    location: { file: 'stacks/network.yaml', line: 3, column: 1 },
    template: { path: 'stacks/network.template.yaml', body: templateBody, parsed: {} },
  } as unknown as Declaration;
  const liveTemplateBody = `${templateBody}# changed in the console\n`;

  it('writes the live template body into the template file when the template drifted, and spec values into the declaration', () => {
    // Act
    const files = adoptionFiles({
      declaration,
      text: network,
      liveTemplateBody,
      changes: [
        { path: '/spec/template/Resources/Vpc/Properties/CidrBlock', before: '10.9.0.0/16', after: '10.0.0.0/16' },
        { path: '/spec/tags/owner', before: 'network-team' },
      ],
    });

    // Assess
    expect(files.map((file) => file.path)).toEqual(['stacks/network.yaml', 'stacks/network.template.yaml']);
    expect(files[1]?.content).toBe(liveTemplateBody);
    expect(parse(files[0]!.content).spec.tags.owner).toBe('network-team');
  });

  it('proposes only the template file when only the template drifted', () => {
    const files = adoptionFiles({
      declaration,
      text: network,
      liveTemplateBody,
      changes: [{ path: '/spec/template/Outputs/VpcId', before: { Value: 'x' } }],
    });
    expect(files).toEqual([{ path: 'stacks/network.template.yaml', content: liveTemplateBody }]);
  });

  it('refuses a template drift whose values the planner masked, or whose live body was not read', () => {
    expect(() =>
      adoptionFiles({
        declaration,
        text: network,
        liveTemplateBody,
        changes: [{ path: '/spec/template/Parameters/DbPassword/Default', before: '(masked)', after: '(masked)' }],
      }),
    ).toThrow(/masked/);
    expect(() =>
      adoptionFiles({ declaration, text: network, changes: [{ path: '/spec/template/Resources', before: {} }] }),
    ).toThrow(/live template body was not read/);
  });
});

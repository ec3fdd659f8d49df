/** `${stack:<stack-name>.<OutputKey>}` at load time: well-formed references are found and located, malformed or
 * misplaced ones are E_REFERENCE at the line and column of their value, and a referenced role waits for plan time. */
import { describe, expect, it } from 'vitest';
import { checkDocument, checkTargets } from '../../../shared/spec/checks.ts';
import { parseDeclarationFile } from '../../../shared/spec/parse.ts';
import { locateReferences } from '../../../shared/spec/references.ts';
import type { SettingsDocument } from '../../../shared/spec/schema.ts';
import { SETTINGS_YAML } from '../../support/snapshots.ts';

function service(subnet: string, extra = ''): string {
  return `apiVersion: driftless/v1
kind: EcsService
metadata: { name: web, cluster: prod }
spec:
  networkConfiguration:
    awsvpcConfiguration:
      subnets:
        - ${subnet}
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } }
  taskDefinition:
    family: web
${extra}    containerDefinitions:
      - { name: web, image: "web:1.4.2" }
`;
}

function parsed(text: string) {
  const file = parseDeclarationFile('services/web.yaml', text);
  expect(file.diagnostics).toEqual([]);
  return file.documents[0]!;
}

describe('stack references at load time', () => {
  it('finds and locates well-formed references, whole-string and embedded', () => {
    // Prepare
    const document = parsed(
      service(
        '${stack:platform-network.PrivateSubnetAId}',
        '    taskRoleArn: "arn:aws:iam::123456789012:role/app/${stack:platform-roles.WebTask}"\n',
      ),
    );

    // Act
    const references = locateReferences(document.document.spec, document.locate);

    // Assess
    expect(checkDocument(document)).toEqual([]);
    expect(references).toEqual([
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets/0',
        reference: '${stack:platform-network.PrivateSubnetAId}',
        stack: 'platform-network',
        outputKey: 'PrivateSubnetAId',
        location: { file: 'services/web.yaml', line: 8, column: 11 },
      },
      {
        path: '/spec/taskDefinition/taskRoleArn',
        reference: '${stack:platform-roles.WebTask}',
        stack: 'platform-roles',
        outputKey: 'WebTask',
        location: { file: 'services/web.yaml', line: 12, column: 18 },
      },
    ]);
  });

  it.each([
    [
      '${stack:platform-network.PrivateSubnetAId',
      'reference ${stack:platform-network.PrivateSubnetAId is not closed with "}"',
    ],
    [
      '${stack:platform-network}',
      'reference ${stack:platform-network} names no output: write ${stack:<stack-name>.<OutputKey>}',
    ],
    [
      '${stack:9lives.Subnet}',
      'reference ${stack:9lives.Subnet} names stack "9lives": stack names start with a letter and hold up to 128 letters, numbers and hyphens',
    ],
    [
      '${stack:platform-network.Private_Subnet}',
      'reference ${stack:platform-network.Private_Subnet} names output "Private_Subnet": output keys are alphanumeric',
    ],
  ])('refuses %s with E_REFERENCE at its line and column', (subnet, message) => {
    // Act
    const found = checkDocument(parsed(service(subnet)));

    // Assess
    expect(found).toEqual([
      { code: 'E_REFERENCE', severity: 'error', file: 'services/web.yaml', line: 8, column: 11, message },
    ]);
  });

  it('refuses a reference in a CloudFormationStack declaration', () => {
    // Prepare
    const stack = parseDeclarationFile(
      'stacks/app.yaml',
      `apiVersion: driftless/v1
kind: CloudFormationStack
metadata: { name: platform-app }
spec:
  template: app.template.yaml
  parameters:
    SubnetId: \${stack:platform-network.PrivateSubnetAId}
`,
    ).documents[0]!;

    // Act
    const found = checkDocument(stack);

    // Assess
    expect(found).toEqual([
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'stacks/app.yaml',
        line: 7,
        column: 15,
        message:
          '${stack:platform-network.PrivateSubnetAId} in a CloudFormationStack: references are resolved in EcsService declarations only',
      },
    ]);
  });

  it('leaves a referenced role ARN to plan time, and still refuses a literal one outside the allowlist', () => {
    // Prepare
    const settings = parseDeclarationFile('driftless.yaml', SETTINGS_YAML).documents[0]!.document as SettingsDocument;
    const referenced = parsed(service('subnet-a', '    taskRoleArn: ${stack:platform-roles.WebTask}\n'));
    const literal = parsed(service('subnet-a', '    taskRoleArn: arn:aws:iam::123456789012:role/admin/root\n'));

    // Act
    const referencedFound = checkTargets(referenced, settings);
    const literalFound = checkTargets(literal, settings);

    // Assess
    expect(referencedFound).toEqual([]);
    expect(literalFound.map((d) => [d.code, d.line])).toEqual([['E_ROLE', 12]]);
  });

  it('lets a reference read only stacks under the prefix or listed in targets.readStacks: E_REFERENCE otherwise', () => {
    // Prepare
    const settingsOf = (readStacks: string) =>
      parseDeclarationFile(
        'driftless.yaml',
        SETTINGS_YAML.replace('roleArnPatterns', `readStacks: ${readStacks}, roleArnPatterns`),
      ).documents[0]!.document as SettingsDocument;
    const document = parsed(
      service('${stack:platform-network.SubnetA}', '    taskRoleArn: "${stack:shared-network.TaskRole}"\n'),
    );

    // Act
    const unlisted = checkTargets(document, settingsOf('[]'));
    const listed = checkTargets(document, settingsOf('[shared-network]'));

    // Assess
    expect(unlisted).toEqual([
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'services/web.yaml',
        line: 12,
        column: 18,
        message:
          '${stack:shared-network.TaskRole} may not read stack shared-network: Settings (targets) let references read only stacks under the prefix platform- and those listed in readStacks (none)',
      },
    ]);
    expect(listed).toEqual([]);
  });
});

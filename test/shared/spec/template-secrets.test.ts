/** Secrets in CloudFormation templates: a secret-named property must not be readable from the template or the stack's
 * parameters; the forms that keep it out (dynamic references, attributes, NoEcho parameters) pass, at any depth of
 * intrinsic functions; findings point at the template's line and never repeat the value. */
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../../shared/spec/cloudformation-yaml.ts';
import { type ParsedDocument, parseDeclarationFile } from '../../../shared/spec/parse.ts';
import { checkTemplateSecrets } from '../../../shared/spec/template-secrets.ts';

const TEMPLATE_PATH = 'stacks/db.template.yaml';

function stack(parameters: Record<string, string> = {}): ParsedDocument & { kind: 'CloudFormationStack' } {
  const lines = Object.entries(parameters).map(([name, value]) => `    ${name}: ${JSON.stringify(value)}`);
  const text = [
    'apiVersion: driftless/v1',
    'kind: CloudFormationStack',
    'metadata: { name: platform-db }',
    'spec:',
    '  template: db.template.yaml',
    ...(lines.length > 0 ? ['  parameters:', ...lines] : []),
  ].join('\n');
  const parsed = parseDeclarationFile('stacks/db.yaml', text).documents[0];
  if (parsed?.kind !== 'CloudFormationStack') throw new Error('the test stack does not parse');
  return parsed;
}

/** A template with one DB instance whose MasterUserPassword is `password` (YAML text), and `extra` parameters. */
function template(password: string, extraParameters = ''): string {
  return [
    'Parameters:',
    '  Visible:',
    '    Type: String',
    '  Hidden:',
    '    Type: String',
    '    NoEcho: true',
    extraParameters,
    'Conditions:',
    '  Prod: !Equals [!Ref Visible, prod]',
    'Resources:',
    '  Secret:',
    '    Type: AWS::SecretsManager::Secret',
    '    Properties:',
    '      GenerateSecretString:',
    '        SecretStringTemplate: \'{"username":"app"}\'',
    '        GenerateStringKey: password',
    '        PasswordLength: 32',
    '  Pool:',
    '    Type: AWS::Cognito::UserPoolClient',
    '    Properties:',
    '      UserPoolId: pool',
    '      TokenValidityUnits: { AccessToken: hours, IdToken: hours, RefreshToken: days }',
    '  Database:',
    '    Type: AWS::RDS::DBInstance',
    '    Properties:',
    '      Engine: postgres',
    `      MasterUserPassword: ${password}`,
  ].join('\n');
}

function check(body: string, parameters: Record<string, string> = {}) {
  const parsed = parseTemplate(body).template;
  if (!parsed) throw new Error(`the test template does not parse: ${parseTemplate(body).error?.message}`);
  return checkTemplateSecrets(stack(parameters), TEMPLATE_PATH, body, parsed);
}

describe('secret-named template properties', () => {
  it.each([
    ['a Secrets Manager dynamic reference', "'{{resolve:secretsmanager:prod/db:SecretString:password}}'"],
    ['an SSM SecureString dynamic reference', "'{{resolve:ssm-secure:/prod/db/password:3}}'"],
    ['a NoEcho parameter', '!Ref Hidden'],
    ["a generated secret's attribute", '!GetAtt Secret.Id'],
    ['a dynamic reference built with !Sub', '!Sub "{{resolve:secretsmanager:${Secret}:SecretString:password}}"'],
    [
      'a dynamic reference built with !Join',
      "!Join ['', ['{{resolve:secretsmanager:', !Ref Secret, ':SecretString:password}}']]",
    ],
    [
      'either of two dynamic references',
      "!If [Prod, '{{resolve:secretsmanager:prod/db}}', '{{resolve:secretsmanager:test/db}}']",
    ],
    ['a NoEcho parameter inside !Sub', '!Sub "${Hidden}"'],
  ])('accepts %s', (_what, password) => {
    expect(check(template(password))).toEqual([]);
  });

  it.each([
    ['a literal', 'hunter2hunter2', 'written as a value'],
    ['a number', '12345678', 'written as a value'],
    ['a parameter that is not NoEcho', '!Ref Visible', 'set from parameter Visible, which is not NoEcho'],
    ['literal text around a NoEcho parameter', '!Sub "pre-${Hidden}"', 'written as a value'],
    ['a plain SSM dynamic reference', "'{{resolve:ssm:/prod/db/password}}'", 'written as a value'],
    ['a value from Mappings', '!FindInMap [Passwords, prod, db]', 'written as a value'],
    ['one literal branch of !If', "!If [Prod, '{{resolve:secretsmanager:prod/db}}', changeme]", 'written as a value'],
  ])('refuses %s at its line, without the value', (_what, password, reason) => {
    // Act
    const found = check(template(password));

    // Assess
    expect(found).toEqual([
      expect.objectContaining({ code: 'E_SECRET_VALUE', file: TEMPLATE_PATH, line: 27, column: 7 }),
    ]);
    expect(found[0]?.message).toContain(`Database.MasterUserPassword is a secret-named property ${reason}`);
    expect(found[0]?.message).not.toContain('hunter2');
    expect(found[0]?.message).not.toContain('changeme');
  });

  it('refuses a NoEcho parameter given a value in Git, and a NoEcho Default in the template', () => {
    // Act
    const found = check(template('!Ref Hidden', '  Other:\n    Type: String\n    NoEcho: true\n    Default: s3cret'), {
      Hidden: 'PLC-7Q2M-99XZ-4410',
      Visible: 'prod',
    });

    // Assess
    expect(found.map(({ code, file, line }) => ({ code, file, line }))).toEqual([
      { code: 'E_SECRET_VALUE', file: TEMPLATE_PATH, line: 10 },
      { code: 'E_SECRET_VALUE', file: 'stacks/db.yaml', line: 7 },
    ]);
    expect(found.map((d) => d.message).join('\n')).not.toMatch(/PLC-7Q2M|s3cret/);
  });

  it('accepts a NoEcho parameter passed as a dynamic reference', () => {
    expect(
      check(template('!Ref Hidden'), { Hidden: '{{resolve:secretsmanager:prod/db:SecretString:password}}' }),
    ).toEqual([]);
  });
});

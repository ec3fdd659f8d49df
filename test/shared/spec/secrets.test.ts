/** The secret detector: names, credential shapes, and arguments on command lines; each answer is a kind, never the
 * value; and what only points at a secret (an environment variable, an ARN, a dynamic reference) is left alone. */
import { describe, expect, it } from 'vitest';
import {
  isSecretDynamicReference,
  looksLikeSecretName,
  secretInArguments,
  secretShapeOf,
} from '../../../shared/spec/secrets.ts';

describe('secret names', () => {
  it.each([
    'DB_PASSWORD',
    'MasterUserPassword',
    'SecretString',
    'AuthToken',
    'clientSecret',
    'api-key',
    'com.example.db-password',
    '--db-password',
    'SECRET_KEY_BASE',
    'DBPASSWORD',
  ])('treats %s as a secret name', (name) => {
    expect(looksLikeSecretName(name)).toBe(true);
  });

  it.each([
    'SecretArn',
    'SecretName',
    'DB_PASSWORD_FILE',
    'PasswordPolicy',
    'PasswordResetRequired',
    'TokenValidityUnits',
    'AccessTokenValidity',
    'SecretStringTemplate',
    '--password-stdin',
    '--no-password',
    'KmsKeyId',
    'SESSION_KEY',
  ])('does not treat %s as a secret name', (name) => {
    expect(looksLikeSecretName(name)).toBe(false);
  });
});

describe('secret shapes', () => {
  it.each([
    [`github_pat_11ABCDEFG0${'a'.repeat(60)}`, 'a GitHub token'],
    ['glpat-xY3mK9pQ2rT7vW1zA4bC', 'a GitLab token'],
    ['xoxb-1234567890-abcdefghijkl', 'a Slack token'],
    ['https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcdEFGHijklMNOPqrstUVWX', 'a Slack webhook URL'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'a Stripe secret key'],
    ['ASIAZ7Q3EXAMPLE4PLMN', 'an AWS access key id'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3ZWIifQ.c2lnbmF0dXJl', 'a JSON Web Token'],
    ['--password=hunter2', 'a secret in a command-line flag'],
    ['-Dspring.datasource.password=hunter2', 'a secret in a command-line flag'],
    ['PGPASSWORD=hunter2 pg_isready', 'a secret assigned to a secret-looking name'],
    ['username=svc,password=hunter2', 'a secret assigned to a secret-looking name'],
    ['redis://:hunter2@cache:6379', 'a password in a URL'],
  ])('recognises %s as %s', (value, kind) => {
    expect(secretShapeOf(value)).toBe(kind);
  });

  it.each([
    'postgres://app:${DB_PASSWORD}@db:5432/app',
    'postgres://app:$DB_PASSWORD@db:5432/app',
    '--password=$DB_PASSWORD',
    '--db-secret=arn:aws:secretsmanager:us-east-1:123456789012:secret:db',
    '--password-file=/run/secrets/db',
    'TOKEN_TTL=3600',
    'https://example.com/search?q=1',
    'AKIAIOSFODNN7EXAMPL',
  ])('does not flag %s', (value) => {
    expect(secretShapeOf(value)).toBeUndefined();
  });

  it('names the kind and never the value', () => {
    // Prepare
    const token = 'glpat-xY3mK9pQ2rT7vW1zA4bC';

    // Act
    const kind = secretShapeOf(`clone with ${token}`);

    // Assess
    expect(kind).toBe('a GitLab token');
    expect(kind).not.toContain(token);
  });
});

describe('secrets in argument lists', () => {
  it.each([
    [['server', '--api-token', 'abc123'], 2],
    [['mysql', '-u', 'root', '-p', 'hunter2'], 4],
    [['sh', '-c', 'mysql --user=root -phunter2 app'], 2],
    [['sh', '-c', 'curl -u admin:x http://admin:pw@localhost/'], 2],
  ])('finds the secret in %j at argument %i', (args, index) => {
    expect(secretInArguments(args)?.index).toBe(index);
  });

  it.each([
    [['psql', '-h', 'db', '-U', 'app', '-p', '5432']],
    [['mysql', '-u', 'root', '-p5432']],
    [['docker', 'run', '-p', '8080:80', 'nginx']],
    [['docker', 'login', '--password-stdin']],
    [['app', '--password', '$DB_PASSWORD']],
    [['aws', 'secretsmanager', 'get-secret-value', '--secret-id', 'prod/db']],
    [['bundle', 'exec', 'sidekiq']],
    [['CMD-SHELL', `mysql -u app -p"$DB_PASSWORD" -e 'select 1'`]],
  ])('leaves %j alone', (args) => {
    expect(secretInArguments(args)).toBeUndefined();
  });
});

describe('dynamic references', () => {
  it('keeps Secrets Manager and SecureString references, not plain SSM ones', () => {
    expect(isSecretDynamicReference('{{resolve:secretsmanager:prod/db:SecretString:password}}')).toBe(true);
    expect(isSecretDynamicReference('{{resolve:ssm-secure:/prod/db/password:1}}')).toBe(true);
    expect(isSecretDynamicReference('{{resolve:ssm:/prod/db/password}}')).toBe(false);
  });
});

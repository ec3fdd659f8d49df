/** Validation findings: what is wrong, where (file:line:column), and a stable code tools can match on. */

export const DIAGNOSTIC_CODES = {
  E_YAML: 'the file is not well-formed YAML or JSON',
  E_SCHEMA: 'a declaration does not match the driftless/v1 schema',
  E_DUPLICATE: 'two declarations name the same resource',
  E_SETTINGS: 'the Settings file is missing, duplicated or in the wrong place',
  E_TARGET:
    "a resource lies outside the targets Settings or the deployment allow (cluster, stack-name prefix, a cluster ARN's partition, account or region)",
  E_ROLE: 'a role ARN does not match any allowed role ARN pattern',
  E_PATH: 'a referenced path escapes the repository, is a symlink, or does not exist',
  E_TEMPLATE:
    'a CloudFormation template is not valid YAML or JSON, has no Resources, or names a resource type or property the CloudFormation resource specification does not know',
  E_RESOURCE_TYPE:
    'a template declares a resource type, transform or AWS::CloudFormation::Init that Settings or the deployment do not allow, or an allowed IAM role or user without a permissions boundary; or a resource type pattern is wider than one service',
  E_SIZE: 'a file is over the size limit',
  E_SECRET_VALUE: 'a value looks like a secret; secrets must be references (secrets[].valueFrom)',
  E_SECRET_REF: 'a secret reference is not a Secrets Manager or SSM Parameter Store ARN',
  E_TASKDEF_LIMIT: 'a task definition is over an ECS limit (64 KiB, 10 containers)',
  E_NUMBER:
    'a number ECS would refuse: cpu or memory in a form or a Fargate pair ECS does not take, a port out of range, desiredCount over the quota',
  E_ECS_RULE:
    "a combination of ECS service settings ECS refuses: a deployment strategy without its way to shift traffic or with another strategy's configuration, a lifecycle hook ECS cannot run, a launch-time volume the task definition does not mark, a VPC Lattice port the containers do not name",
  E_PARAMETER: 'a stack parameter YAML would change (0123, 1.10, 1e3, beyond 2^53, True): quote it',
  E_REFERENCE:
    'a ${stack:<name>.<OutputKey>} reference is malformed, misplaced, reads a stack neither under the stack-name prefix nor in readStacks, or names no existing stack output',
  E_LIMIT:
    'a file or the repository is over a documented limit (keys, list items, nesting, documents, string length, aliases, declarations)',
  E_INTERNAL: 'driftless failed while reading the file (a bug to report); the file is refused, never skipped',
  W_IMAGE_TAG: 'an image has no tag or uses :latest, so what runs can change without a commit',
  W_CIRCUIT_BREAKER: 'the service has no deployment circuit breaker, so a failing rollout is not rolled back',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** Path relative to the repository root. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface Diagnostic extends SourceLocation {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
}

export function diagnostic(code: DiagnosticCode, location: SourceLocation, message: string): Diagnostic {
  return {
    code,
    severity: code.startsWith('W_') ? 'warning' : 'error',
    file: location.file,
    line: location.line,
    column: location.column,
    message,
  };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const byFile = a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
  return byFile || a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

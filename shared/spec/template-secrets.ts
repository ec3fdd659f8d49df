/** Refuses secrets written into a CloudFormation template or passed to it in clear: a secret-named property
 * (MasterUserPassword, SecretString, AuthToken, …) must come from a dynamic reference ({{resolve:secretsmanager:…}},
 * {{resolve:ssm-secure:…}}), a resource attribute, or a NoEcho parameter whose value is not written in Git; and no
 * property holds a credential-shaped value. Findings point at the template's own lines. Pure. */
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { ParsedDocument } from './parse.ts';
import { isSecretDynamicReference, looksLikeSecretName, secretShapeOf } from './secrets.ts';
import { type TemplatePath, templateLocator } from './template-locator.ts';

type Json = unknown;
type Path = TemplatePath;
type StackDocument = ParsedDocument & { kind: 'CloudFormationStack' };

/** Maps whose keys name something other than a secret even when the key says "token": Cognito's token validity
 * units ({ AccessToken: hours }). */
const NOT_SECRET_PARENTS = new Set(['TokenValidityUnits']);
/** Properties named like a secret that hold none: a custom resource's ServiceToken is its handler's ARN. */
const NOT_SECRET_PROPERTIES = new Set(['ServiceToken']);
const MAX_INTRINSIC_DEPTH = 64;

interface Finding {
  readonly path: Path;
  readonly message: string;
}

/** Checks a stack's template (already parsed) and the parameter values its declaration passes to it. */
export function checkTemplateSecrets(
  declaration: StackDocument,
  templatePath: string,
  body: string,
  template: Record<string, unknown>,
): Diagnostic[] {
  const parameters = isObject(template.Parameters) ? template.Parameters : {};
  const noEcho = new Set(
    Object.entries(parameters)
      .filter(([, definition]) => isObject(definition) && String(definition.NoEcho).toLowerCase() === 'true')
      .map(([name]) => name),
  );
  const findings: Finding[] = [];
  for (const [name, definition] of Object.entries(parameters)) {
    if (!isObject(definition) || definition.Default === undefined || definition.Default === '') continue;
    if (noEcho.has(name) || looksLikeSecretName(name)) {
      findings.push({
        path: ['Parameters', name, 'Default'],
        message: `parameter ${name} ${noEcho.has(name) ? 'is NoEcho' : 'looks like a secret'} but has a Default written in the template: remove the Default and pass a dynamic reference`,
      });
    }
  }
  const resources = isObject(template.Resources) ? template.Resources : {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isObject(resource) || !isObject(resource.Properties)) continue;
    walk(resource.Properties, ['Resources', logicalId, 'Properties'], { noEcho, parameters }, findings);
  }

  const diagnostics: Diagnostic[] = [];
  if (findings.length > 0) {
    const locate = templateLocator(templatePath, body);
    for (const finding of findings) {
      diagnostics.push(
        diagnostic('E_SECRET_VALUE', locate(finding.path), `template ${templatePath}: ${finding.message}`),
      );
    }
  }
  // A NoEcho parameter is a secret by the template's own word: its value must not be written in the declaration.
  for (const [name, value] of Object.entries(declaration.document.spec.parameters ?? {})) {
    if (!noEcho.has(name) || typeof value === 'boolean' || String(value).startsWith('{{resolve:')) continue;
    if (looksLikeSecretName(name) || secretShapeOf(String(value))) continue; // reported by the declaration's checks
    diagnostics.push(
      diagnostic(
        'E_SECRET_VALUE',
        declaration.locate(['spec', 'parameters', name]),
        `parameter ${name} is NoEcho in ${templatePath}, so its value is a secret: pass a dynamic reference such as {{resolve:secretsmanager:...}} instead of writing it in Git`,
      ),
    );
  }
  return diagnostics;
}

interface Scope {
  readonly noEcho: ReadonlySet<string>;
  readonly parameters: Record<string, unknown>;
}

/** Visits every value below a resource's Properties, depth first, without recursion: a deep template cannot
 * exhaust the stack here. */
function walk(properties: Json, at: Path, scope: Scope, findings: Finding[]): void {
  const pending: { value: Json; path: Path; parent: string | undefined }[] = [
    { value: properties, path: at, parent: undefined },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path, parent } = next;
    if (typeof value === 'string') {
      const shape = secretShapeOf(value);
      if (shape && !isSecretDynamicReference(value)) {
        findings.push({ path, message: `${describe(path)} looks like ${shape}: use a dynamic reference instead` });
      }
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) pending.push({ value: item, path: [...path, index], parent });
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = [...path, key];
        const named = looksLikeSecretName(key) && !NOT_SECRET_PROPERTIES.has(key);
        if (!key.includes('::') && key !== 'Ref' && named && !NOT_SECRET_PARENTS.has(parent ?? '')) {
          const problem = sourceProblem(child, scope);
          if (problem) {
            findings.push({ path: childPath, message: `${describe(childPath)} is a secret-named property ${problem}` });
            continue;
          }
        }
        pending.push({ value: child, path: childPath, parent: key });
      }
    }
  }
}

/** Why the value of a secret-named property is readable by others, or undefined when it is not. */
function sourceProblem(value: Json, scope: Scope, depth = 0): string | undefined {
  if (value === null || value === undefined || typeof value === 'boolean' || value === '') return undefined;
  // A property whose value is a structure (not an intrinsic function) is checked key by key below it.
  if (isObject(value) && !isIntrinsic(value)) return undefined;
  // Each branch of a condition must keep the secret out on its own.
  const branches = isObject(value) ? value['Fn::If'] : undefined;
  if (Array.isArray(branches)) {
    return branches
      .slice(1)
      .reduce<string | undefined>((problem, branch) => problem ?? sourceProblem(branch, scope), undefined);
  }
  const parts = { literals: [] as string[], visibleParameters: [] as string[] };
  gather(value, scope, parts, depth);
  if (isSecretDynamicReference(parts.literals.join(''))) return undefined;
  if (parts.literals.some((literal) => literal.trim() !== '')) {
    return 'written as a value: use a dynamic reference such as {{resolve:secretsmanager:...}} or {{resolve:ssm-secure:...}}';
  }
  if (parts.visibleParameters.length > 0) {
    return `set from parameter ${parts.visibleParameters.join(', ')}, which is not NoEcho, so the console shows it: make it NoEcho or use a dynamic reference`;
  }
  return undefined;
}

/** The literal text and the visible parameters a value is built from, through the intrinsic functions. */
function gather(
  value: Json,
  scope: Scope,
  parts: { literals: string[]; visibleParameters: string[] },
  depth = 0,
): void {
  // Intrinsic functions nest a few levels in practice; past this, the value is taken as written out.
  if (depth > MAX_INTRINSIC_DEPTH) {
    parts.literals.push('(nested too deeply to tell)');
    return;
  }
  if (typeof value === 'string' || typeof value === 'number') {
    parts.literals.push(String(value));
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) gather(item, scope, parts, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  const [fn, argument] = Object.entries(value)[0] ?? [];
  if (fn === 'Ref') {
    if (typeof argument === 'string') referTo(argument, scope, parts);
    return;
  }
  if (fn === 'Fn::GetAtt' || fn === 'Fn::ImportValue' || fn === 'Fn::GetAZs') return;
  if (fn === 'Fn::Sub') {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof text !== 'string') return;
    // ${!Literal} is written out as ${Literal}; ${Name} and ${Resource.Attribute} are filled in.
    parts.literals.push(text.replace(/\$\{(?!!)[^}]*\}/g, ''));
    for (const match of text.matchAll(/\$\{(?!!)([^}.]+)\}/g)) {
      const name = match[1]!;
      if (isObject(variables) && name in variables) gather(variables[name], scope, parts, depth + 1);
      else referTo(name, scope, parts);
    }
    return;
  }
  if (fn === 'Fn::Join') {
    if (Array.isArray(argument)) gather(argument[1], scope, parts, depth + 1);
    return;
  }
  if (fn === 'Fn::If') {
    if (Array.isArray(argument)) gather(argument.slice(1), scope, parts, depth + 1);
    return;
  }
  // Fn::FindInMap reads the template's Mappings, which are written in Git.
  if (fn === 'Fn::FindInMap') {
    parts.literals.push('(a value from Mappings)');
    return;
  }
  gather(argument, scope, parts, depth + 1);
}

function referTo(name: string, scope: Scope, parts: { visibleParameters: string[] }): void {
  if (name in scope.parameters && !scope.noEcho.has(name)) parts.visibleParameters.push(name);
}

function describe(path: Path): string {
  const [, logicalId, , ...rest] = path;
  if (path[0] === 'Resources') return `${String(logicalId)}.${rest.map(String).join('.')}`;
  return path.map(String).join('.');
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

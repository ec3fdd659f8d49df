/**
 * Renders a plan as Markdown for a pull-request comment: a heading, the summary line, one section per resource with
 * a table of `path | before | after`, and the validation findings with file:line. Pure.
 *
 * Secret-looking values are masked by the planner already; this renderer masks again before anything is written
 * (a value under a secret-looking name, or shaped like a key or token), because a comment is read by everyone who
 * can read the repository and is kept forever. Everything taken from the repository is escaped, so a file name or a
 * message cannot inject markup, and the whole comment is kept under CodeCommit's comment size limit.
 */
import { looksLikeSecretName, secretShapeOf } from '../spec/checks.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import type { FieldChange } from './diff.ts';
import type { Json, JsonObject } from './normalize.ts';
import type { Action, ActionType, Plan } from './plan.ts';
import { describeOrigin, SYMBOL, summaryLine } from './render.ts';

/** CodeCommit refuses a comment over 10,240 characters (CommentContentSizeLimitExceededException). */
export const MAX_COMMENT_LENGTH = 10_240;
export const MASK = '(masked)';

/** A value longer than this is cut in a table cell; the full plan is one `driftless plan` away. */
const MAX_VALUE_LENGTH = 160;
/** A create lists the declared fields; past this many, the rest are counted rather than listed. */
const MAX_CREATE_FIELDS = 40;
/** Findings past this many are counted rather than listed. */
const MAX_DIAGNOSTICS = 50;

const LABEL: Record<ActionType, string> = {
  create: 'create',
  update: 'update',
  'register-task-definition': 'new task definition revision',
  'replace-required': 'replace required',
  prune: 'delete (prune)',
  wait: 'wait',
  'in-sync': 'in sync',
};

export interface MarkdownPlanInput {
  /** Absent when the repository has errors and no plan was made. */
  readonly plan?: Plan;
  /** Validation findings, errors and warnings; shown with file:line:column. */
  readonly diagnostics?: readonly Diagnostic[];
  /** The commit planned. */
  readonly commitId: string;
  /** The heading's text; defaults to "driftless plan". */
  readonly title?: string;
  /** Lines shown under the heading as they are (already Markdown; the caller escapes what it takes from elsewhere). */
  readonly context?: readonly string[];
  /** Clusters declarations name that do not exist: their services are planned as creates. */
  readonly missingClusters?: readonly string[];
  /** Show in-sync resources too. */
  readonly verbose?: boolean;
  /** The longest the result may be (defaults to MAX_COMMENT_LENGTH). */
  readonly maxLength?: number;
  /** Break-glass pauses active now; those on resources in the plan are shown. */
  readonly pauses?: readonly PauseNote[];
}

/** An active pause, as the comment shows it (shared/audit/pauses.ts ActivePause has these fields). */
export interface PauseNote {
  readonly resourceId: string;
  readonly until: string;
  readonly by: string;
  readonly reason: string;
}

export function renderPlanMarkdown(input: MarkdownPlanInput): string {
  const maxLength = input.maxLength ?? MAX_COMMENT_LENGTH;
  const head: string[] = [`### ${text(input.title ?? 'driftless plan')} for ${code(input.commitId.slice(0, 12))}`, ''];
  for (const line of input.context ?? []) head.push(line);
  if ((input.context ?? []).length > 0) head.push('');

  const errors = (input.diagnostics ?? []).filter((d) => d.severity === 'error');
  if (input.plan) {
    head.push(`**${text(summaryLine(input.plan))}**`, '');
  } else {
    head.push(
      `**No plan: ${errors.length} validation ${errors.length === 1 ? 'error' : 'errors'}.** Nothing is read from or ` +
        'planned against AWS until they are fixed (`driftless validate` checks again).',
      '',
    );
  }
  const planned = new Set((input.plan?.actions ?? []).map((action) => action.id));
  const pauses = (input.pauses ?? []).filter((pause) => planned.has(pause.resourceId));
  if (pauses.length > 0) {
    head.push(
      `> **Paused (break glass):** until a pause ends, merging applies nothing to ${pauses.length === 1 ? 'this resource' : 'these resources'} and drift on ${pauses.length === 1 ? 'it' : 'them'} is only recorded.`,
      ...pauses.map(
        (pause) =>
          `> - ${code(pause.resourceId)} until ${code(pause.until)} by ${code(pause.by)}: ${text(pause.reason)}`,
      ),
      '',
    );
  }
  for (const cluster of input.missingClusters ?? []) {
    head.push(`> Cluster ${code(cluster)} does not exist; its services are planned as creates.`, '');
  }

  const findings = renderDiagnostics(input.diagnostics ?? []);
  const sections = input.plan ? groupByResource(input.plan.actions).flatMap((group) => renderGroup(group, input)) : [];
  return fitToLength(head, findings, sections, maxLength);
}

/** Head and findings always; then as many resource sections as fit, and a line saying how many did not. */
function fitToLength(head: string[], findings: string[], sections: string[][], maxLength: number): string {
  const join = (parts: string[]) => `${parts.join('\n').trimEnd()}\n`;
  const notShown = (count: number) =>
    count === 0
      ? ''
      : `\n_… and ${count} more ${count === 1 ? 'resource' : 'resources'} not shown (comment size limit); run \`driftless plan\` for the full plan._\n`;
  const fixed = [...head, ...findings];
  const shown: string[] = [];
  let count = 0;
  // A section is added only if the note about the ones after it would still fit.
  for (const section of sections) {
    const candidate = join([...fixed, ...shown, ...section]);
    if (candidate.length + notShown(sections.length - count - 1).length > maxLength) break;
    shown.push(...section);
    count += 1;
  }
  return clip(`${join([...fixed, ...shown])}${notShown(sections.length - count)}`, maxLength);
}

/** The last resort when even the heading and findings are too long: cut, and say so. */
function clip(markdown: string, maxLength: number): string {
  if (markdown.length <= maxLength) return markdown;
  const marker = '\n\n_… cut at the comment size limit._\n';
  return `${markdown.slice(0, Math.max(0, maxLength - marker.length))}${marker}`;
}

function renderDiagnostics(diagnostics: readonly Diagnostic[]): string[] {
  if (diagnostics.length === 0) return [];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const lines = [
    `#### Validation: ${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`,
    '',
  ];
  for (const d of diagnostics.slice(0, MAX_DIAGNOSTICS)) {
    lines.push(`- **${d.severity}** ${code(`${d.file}:${d.line}:${d.column}`)} ${code(d.code)} ${text(d.message)}`);
  }
  if (diagnostics.length > MAX_DIAGNOSTICS) {
    lines.push(`- … and ${diagnostics.length - MAX_DIAGNOSTICS} more (\`driftless validate\` lists them all)`);
  }
  lines.push('');
  return lines;
}

interface ResourceGroup {
  readonly id: string;
  readonly actions: readonly Action[];
}

function groupByResource(actions: readonly Action[]): ResourceGroup[] {
  const groups = new Map<string, Action[]>();
  for (const action of actions) {
    const group = groups.get(action.id);
    if (group) group.push(action);
    else groups.set(action.id, [action]);
  }
  return [...groups.entries()].map(([id, grouped]) => ({ id, actions: grouped }));
}

/** The type a resource's section is headed with: an update that rolls out a new revision is an update. */
function headlineType(actions: readonly Action[]): ActionType {
  return actions.find((action) => action.type === 'update')?.type ?? actions[0]!.type;
}

function renderGroup(group: ResourceGroup, input: MarkdownPlanInput): string[][] {
  const ignored = group.actions.flatMap((action) => action.ignored);
  const type = headlineType(group.actions);
  if (type === 'in-sync' && ignored.length === 0 && !input.verbose) return [];
  const first = group.actions[0]!;
  const name = first.id.slice(first.id.indexOf(':') + 1);
  const lines = [`#### ${SYMBOL[type]} ${text(first.kind)} ${code(name)}: ${LABEL[type]}`, ''];
  lines.push(
    [first.file ? code(first.file) : undefined, `health ${text(first.health)}`, `wave ${first.wave}`]
      .filter(Boolean)
      .join(' · '),
    '',
  );
  const origin = group.actions.map(describeOrigin).find((found) => found !== undefined);
  if (origin) lines.push(text(origin), '');
  for (const action of group.actions) if (action.reason) lines.push(`${text(action.reason)}`, '');

  const changes =
    type === 'create'
      ? createdFields(group.actions.find((action) => action.type === 'create')?.changes[0]?.after)
      : group.actions.flatMap((action) => action.changes);
  const shown = type === 'create' ? changes.slice(0, MAX_CREATE_FIELDS) : changes;
  if (shown.length > 0) {
    lines.push(type === 'create' ? '| Field | Declared |' : '| Field | Live | Declared |');
    lines.push(type === 'create' ? '| --- | --- |' : '| --- | --- | --- |');
    for (const change of shown.map(safeChange)) {
      lines.push(
        type === 'create'
          ? `| ${code(change.path)} | ${cell(change.after)} |`
          : `| ${code(change.path)} | ${cell(change.before)} | ${cell(change.after)} |`,
      );
    }
    if (shown.length < changes.length) lines.push('', `_… and ${changes.length - shown.length} more fields_`);
    lines.push('');
  }
  for (const difference of ignored.map((change) => ({
    ...safeChange(change),
    rule: change.rule,
    source: change.source,
  }))) {
    lines.push(
      `- ignored ${code(difference.path)}: ${cell(difference.before)} → ${cell(difference.after)} (rule ${code(difference.rule)}, from ${text(difference.source)})`,
    );
  }
  const guards = group.actions.flatMap((action) => action.blockedBy ?? []);
  for (const guard of guards) lines.push(`- blocked: ${text(guard)}`);
  const resolved = group.actions.flatMap((action) => action.resolved ?? []);
  for (const reference of resolved) {
    const value = secretShapeOf(reference.value) === undefined ? reference.value : MASK;
    lines.push(`- resolved ${code(reference.path)} = ${code(value)} ← ${code(reference.reference)}`);
  }
  if (ignored.length > 0 || guards.length > 0 || resolved.length > 0) lines.push('');
  return [lines];
}

/** The leaf fields a create sets; a template is summarised by its resources rather than listed leaf by leaf. */
function createdFields(document: Json | undefined): FieldChange[] {
  const leaves = (value: Json | undefined, path: string): FieldChange[] => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([key, child]) =>
        leaves(child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
      );
    }
    return value === undefined ? [] : [{ path, after: value }];
  };
  const fields = leaves(document, '').filter((field) => !field.path.startsWith('/spec/template/'));
  const resources = objectAt(document, ['spec', 'template', 'Resources']);
  if (resources) fields.unshift({ path: '/spec/template/Resources', after: Object.keys(resources) });
  return fields;
}

function objectAt(value: Json | undefined, path: readonly string[]): JsonObject | undefined {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = node[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? node : undefined;
}

// ------------------------------------------------------------------------------------------------ masking

/** Names whose values are references (ARNs), not secrets: kept as they are, as the planner keeps them. */
const REFERENCE_KEYS = new Set(['secrets', 'secretOptions']);
/** Maps whose keys name something a person chose (a variable, a parameter): a secret-looking key there means a
 * secret-looking value anywhere below it. */
const NAMED_VALUE_KEYS = new Set(['environment', 'parameters', 'Parameters', 'options', 'dockerLabels']);

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A change with nothing secret-looking left in it: masked when its path names a secret, or its value (or any value
 * below a secret-looking key in it) looks like one. */
export function safeChange<T extends FieldChange>(change: T): T {
  const segments = change.path.split('/').slice(1).map(unescapeSegment);
  if (segments.some((segment) => REFERENCE_KEYS.has(segment))) return change;
  const last = segments.at(-1) ?? '';
  const named = segments.some(
    (segment, index) => index > 0 && NAMED_VALUE_KEYS.has(segments[index - 1]!) && looksLikeSecretName(segment),
  );
  const secretPath = looksLikeSecretName(last) || named;
  const safe: { -readonly [K in keyof T]: T[K] } = { ...change };
  for (const side of ['before', 'after'] as const) {
    const value = change[side];
    if (value === undefined) continue;
    safe[side] = secretPath ? MASK : scrub(value);
  }
  return safe;
}

function scrub(value: Json): Json {
  if (typeof value === 'string') return secretShapeOf(value) === undefined ? value : MASK;
  if (Array.isArray(value)) return value.map(scrub);
  if (value !== null && typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      result[key] = REFERENCE_KEYS.has(key) ? child : looksLikeSecretName(key) ? MASK : scrub(child);
    }
    return result;
  }
  return value;
}

// ------------------------------------------------------------------------------------------------ escaping

/** Plain text from elsewhere: Markdown and HTML have no effect in it. */
function text(value: string): string {
  return value
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1');
}

/** An inline code span that holds any text: long enough backtick fences, pipes escaped for tables, one line. */
function code(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || longestRun > 0 ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

function cell(value: Json | undefined): string {
  if (value === undefined) return '_(unset)_';
  const json = JSON.stringify(value);
  return code(json.length > MAX_VALUE_LENGTH ? `${json.slice(0, MAX_VALUE_LENGTH - 1)}…` : json);
}

/** For callers composing lines around a rendered plan: `text` escaped, and an inline code span. */
export const escapeMarkdown = text;
export const codeSpan = code;

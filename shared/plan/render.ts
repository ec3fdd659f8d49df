/** Renders a plan as text a person reads in a terminal: one block per resource, changed fields as
 * `path: before → after`, and the summary line. Pure; colour is applied through an injected painter. */

import { secretShapeOf } from '../spec/checks.ts';
import type { FieldChange } from './diff.ts';
import type { Json } from './normalize.ts';
import type { Action, ActionType, Plan, ResolvedReference } from './plan.ts';

export type Painter = (style: 'green' | 'yellow' | 'red' | 'cyan' | 'dim' | 'bold', text: string) => string;
const plain: Painter = (_style, text) => text;

/** The one-character mark of each action type, shared by the text plan and the pull-request comment. */
export const SYMBOL: Record<ActionType, string> = {
  create: '+',
  update: '~',
  'register-task-definition': '~',
  'replace-required': '!',
  prune: '-',
  wait: '…',
  'in-sync': '=',
};
const STYLE: Record<ActionType, Parameters<Painter>[0]> = {
  create: 'green',
  update: 'yellow',
  'register-task-definition': 'yellow',
  'replace-required': 'red',
  prune: 'red',
  wait: 'cyan',
  'in-sync': 'dim',
};
const LABEL: Record<ActionType, string> = {
  create: 'create',
  update: 'update',
  'register-task-definition': 'register a new task definition revision',
  'replace-required': 'replace required',
  prune: 'delete (prune)',
  wait: 'wait',
  'in-sync': 'in sync',
};
/** A create shows the declared fields; past this many, the rest are counted rather than listed. */
const MAX_CREATE_FIELDS = 40;

export function formatValue(value: Json | undefined): string {
  if (value === undefined) return '(unset)';
  return JSON.stringify(value);
}

function formatChange(change: FieldChange): string {
  if (change.before === undefined) return `${change.path}: ${formatValue(change.after)}`;
  return `${change.path}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
}

/** The leaf fields of a document, for showing what a create will set. */
function leaves(value: Json | undefined, path = ''): FieldChange[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) =>
      leaves(child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  return value === undefined ? [] : [{ path, after: value }];
}

/** What a create sets; a template is summarised by its resources rather than listed leaf by leaf. */
function createdFields(document: Json | undefined): FieldChange[] {
  const fields = leaves(document).filter((field) => !field.path.startsWith('/spec/template/'));
  const spec =
    document !== null && typeof document === 'object' && !Array.isArray(document) ? document.spec : undefined;
  const template = spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? spec?.template : undefined;
  const resources =
    template !== null && typeof template === 'object' && !Array.isArray(template) ? template?.Resources : undefined;
  if (resources !== null && typeof resources === 'object' && !Array.isArray(resources)) {
    const names = Object.keys(resources);
    fields.unshift({ path: '/spec/template/Resources', after: names });
  }
  return fields;
}

export interface RenderOptions {
  readonly paint?: Painter;
  /** Show in-sync resources too (default: only their ignored differences, if any). */
  readonly verbose?: boolean;
}

export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const paint = options.paint ?? plain;
  const lines: string[] = [];
  for (const action of plan.actions) {
    if (action.type === 'in-sync' && action.ignored.length === 0 && !options.verbose) continue;
    lines.push(...renderAction(action, paint), '');
  }
  lines.push(summaryLine(plan));
  return `${lines.join('\n')}\n`;
}

function renderAction(action: Action, paint: Painter): string[] {
  const style = STYLE[action.type];
  const [kind, name] = [action.kind, action.id.slice(action.id.indexOf(':') + 1)];
  const where = action.file ? paint('dim', `  (${action.file})`) : '';
  const header = `${paint(style, SYMBOL[action.type])} ${paint('bold', `${kind} ${name}`)}: ${paint(style, LABEL[action.type])} ${paint('dim', `[${action.health}, wave ${action.wave}]`)}${where}`;
  const lines = [header];
  const origin = describeOrigin(action);
  if (origin) lines.push(`    ${origin}`);
  if (action.reason) lines.push(`    ${action.reason}`);
  const changes = action.type === 'create' ? createdFields(action.changes[0]?.after) : [...action.changes];
  const shown = action.type === 'create' ? changes.slice(0, MAX_CREATE_FIELDS) : changes;
  for (const change of shown) lines.push(`    ${formatChange(change)}`);
  if (shown.length < changes.length) lines.push(paint('dim', `    … and ${changes.length - shown.length} more fields`));
  for (const ignored of action.ignored) {
    lines.push(paint('dim', `    ignored ${formatChange(ignored)} (rule ${ignored.rule}, from ${ignored.source})`));
  }
  for (const guard of action.blockedBy ?? []) lines.push(paint('red', `    blocked: ${guard}`));
  for (const reference of action.resolved ?? []) lines.push(paint('dim', `    ${formatResolved(reference)}`));
  return lines;
}

/** Why a resource differs, three ways: a Git change not applied yet, or drift since the last apply. Silent where the
 * resource has no record of its last apply (nothing to compare with) and for creates. */
export function describeOrigin(action: Action): string | undefined {
  if (action.type === 'create' || action.type === 'in-sync' || action.type === 'prune') return undefined;
  const applied = action.lastApplied?.commitId ? ` (last applied at ${action.lastApplied.commitId.slice(0, 12)})` : '';
  if (action.origin === 'pending' && action.hiddenDrift?.length) {
    const paths = [...new Set(action.hiddenDrift.map((change) => change.path))].join(', ');
    return `Git change not applied yet${applied}; live also drifted (${paths}): Git wins, the drift is recorded`;
  }
  if (action.origin === 'pending') return `Git change not applied yet${applied}: applied whatever the drift policy`;
  if (action.origin === 'drift') return `drift: changed outside Git since the last apply${applied}`;
  return undefined;
}

/** `/spec/…/subnets/0 = subnet-0abc ← ${stack:platform-network.PrivateSubnetAId}`: a value and where it came from. */
export function formatResolved(reference: ResolvedReference): string {
  const value = secretShapeOf(reference.value) === undefined ? reference.value : '(masked)';
  return `${reference.path} = ${value} ← ${reference.reference}`;
}

export function summaryLine(plan: Plan): string {
  const { create, update, delete: prune, inSync, replace, wait } = plan.summary;
  const extra = [replace > 0 ? `${replace} replace required` : '', wait > 0 ? `${wait} waiting` : '']
    .filter(Boolean)
    .join(', ');
  return `Plan: ${create} to create, ${update} to update, ${prune} to delete, ${inSync} in sync${extra ? ` (${extra})` : ''}.`;
}

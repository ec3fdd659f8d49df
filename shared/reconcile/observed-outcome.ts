/**
 * What live state shows about the AWS write an unpaired intent announced: succeeded only on evidence that the write
 * took effect, failed otherwise, with the reason saying whether live state contradicts the intent or merely cannot
 * show it. Either way the next plan compares Git with live, so a failed verdict never hides a pending change. Pure.
 */
import type { LedgerEntry, WriteAction } from '../audit/ledger.ts';
import { diff, type FieldChange, unescapePointerSegment } from '../plan/diff.ts';
import type { LiveEcsService, LiveResource, LiveStack } from '../plan/live-state.ts';
import { MASKED_VALUE } from '../plan/mask.ts';
import { type Json, NOT_COMPARABLE, normalizeLiveService, normalizeLiveStack } from '../plan/normalize.ts';

export interface ObservedOutcome {
  readonly result: 'succeeded' | 'failed';
  /** What live state showed, in a sentence (paths, never values: a value may be secret). */
  readonly evidence: string;
}

/** The verdict on `intent` from `live` (undefined: the resource does not exist). The intent's references name what
 * its write built on: the task definition an UpdateService or CreateService sets, the change set an ExecuteChangeSet
 * runs. */
export function observedOutcome(intent: LedgerEntry, live: LiveResource | undefined): ObservedOutcome {
  const changes = intent.changes ?? [];
  const references = intent.references ?? {};
  switch (intent.action) {
    case 'DeleteService':
    case 'DeleteStack':
    case 'Prune':
      if (live === undefined) return succeeded('the resource is gone');
      if (isBeingDeleted(live)) return succeeded(`the resource is being deleted (${statusOf(live)})`);
      return failed(`the resource is still there (${statusOf(live)})`);
    case 'UpdateTerminationProtection': {
      if (live?.kind !== 'CloudFormationStack') return failed('the stack does not exist');
      const wanted = changes.find((change) => change.path === '/spec/terminationProtection')?.after === true;
      return (live.stack.EnableTerminationProtection === true) === wanted
        ? succeeded(`termination protection is ${wanted ? 'on' : 'off'}`)
        : failed(`termination protection is still ${wanted ? 'off' : 'on'}`);
    }
    case 'ExecuteChangeSet':
      if (live?.kind === 'CloudFormationStack' && references.changeSetArn === live.stack.ChangeSetId) {
        return succeeded(`the stack's last executed change set is the one this intent executed (${statusOf(live)})`);
      }
      break;
  }
  if (live === undefined) return failed('the resource does not exist');
  const setsRevision =
    live.kind === 'EcsService' &&
    (intent.action === 'UpdateService' || intent.action === 'CreateService') &&
    references.taskDefinitionArn !== undefined;
  if (setsRevision && live.service.taskDefinition !== references.taskDefinitionArn) {
    return failed(
      `the service does not run the task definition this intent set (${lastSegment(references.taskDefinitionArn)})`,
    );
  }
  const compared = compareChanges(changes, live);
  if (compared.differing.length > 0) {
    return failed(`live state does not show the announced value at ${listed(compared.differing)}`);
  }
  if (setsRevision) {
    return succeeded(
      `the service runs the task definition this intent set (${lastSegment(references.taskDefinitionArn)})`,
    );
  }
  if (compared.matched > 0) return succeeded(`live state shows every announced change (${listed(compared.paths)})`);
  if (TAGGING_WRITES.has(intent.action ?? 'Prune') && provenanceCommit(intent, live) === intent.commitId) {
    return succeeded(`live state carries the driftless:commit tag of ${intent.commitId.slice(0, 12)}`);
  }
  return failed('live state cannot show that it took effect');
}

function succeeded(evidence: string): ObservedOutcome {
  return { result: 'succeeded', evidence };
}

function failed(evidence: string): ObservedOutcome {
  return { result: 'failed', evidence };
}

function listed(paths: readonly string[]): string {
  const shown = paths.slice(0, 5).join(', ');
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown;
}

function lastSegment(arn: string | undefined): string {
  return String(arn).split('/').at(-1) ?? '';
}

function statusOf(live: LiveResource): string {
  return String(live.kind === 'EcsService' ? live.service.status : live.stack.StackStatus);
}

function isBeingDeleted(live: LiveResource): boolean {
  return live.kind === 'EcsService' ? live.service.status === 'DRAINING' : statusOf(live).startsWith('DELETE_');
}

// ------------------------------------------------------------------------------------------------ changes

interface Comparison {
  /** Changes whose every comparable value is live. */
  readonly matched: number;
  /** Paths whose announced value is not live. */
  readonly differing: readonly string[];
  /** Paths of the matched changes. */
  readonly paths: readonly string[];
}

/** Each announced change against the live resource in the planner's canonical form. A value the planner masked, a
 * NoEcho parameter, and a template CloudFormation does not answer while the stack is busy cannot be compared. */
function compareChanges(changes: readonly FieldChange[], live: LiveResource): Comparison {
  const current = canonicalLive(live, changes);
  const templateUnread = live.kind === 'CloudFormationStack' && live.templateBody === undefined;
  const comparable = (path: string, expected: Json | undefined, actual: Json | undefined) =>
    !containsMasked(expected) &&
    actual !== NOT_COMPARABLE &&
    !(templateUnread && (path === '/spec/template' || path.startsWith('/spec/template/')));
  let matched = 0;
  const differing: string[] = [];
  const paths: string[] = [];
  for (const change of changes) {
    const actual = valueAt(current, change.path);
    const expected = change.after;
    if (expected === undefined) {
      if (actual === undefined) {
        matched += 1;
        paths.push(change.path);
      } else if (comparable(change.path, expected, actual)) differing.push(change.path);
      continue;
    }
    // Only what the intent set is checked: fields it left alone may hold anything.
    const missing = diff(actual, expected, change.path === '/' ? '' : change.path).filter(
      (sub) => sub.after !== undefined && comparable(sub.path, sub.after, sub.before),
    );
    if (missing.length > 0) differing.push(...missing.map((sub) => sub.path));
    else if (!comparable(change.path, expected, actual)) continue;
    else {
      matched += 1;
      paths.push(change.path);
    }
  }
  return { matched, differing, paths };
}

/** The live resource in canonical form, API-owned fields kept where the changes name them. */
function canonicalLive(live: LiveResource, changes: readonly FieldChange[]): Json {
  const declared: Record<string, unknown> = {};
  for (const field of declaredFields(changes)) declared[field] = true;
  return live.kind === 'EcsService' ? canonicalService(live, declared) : canonicalStack(live, declared);
}

function canonicalService(live: LiveEcsService, declared: Record<string, unknown>): Json {
  const { autoscaling: _autoscaling, ...fields } = declared;
  return normalizeLiveService(live.service, live.taskDefinition, live.taskDefinitionTags, fields);
}

function canonicalStack(live: LiveStack, declared: Record<string, unknown>): Json {
  return normalizeLiveStack(live.stack, live.templateBody, {}, declared);
}

/** Top-level spec fields the changes set (a create names the whole declaration under `/`). */
function declaredFields(changes: readonly FieldChange[]): string[] {
  const fields = new Set<string>();
  for (const change of changes) {
    if (change.path === '/') {
      const spec = isRecord(change.after) && isRecord(change.after.spec) ? change.after.spec : {};
      for (const key of Object.keys(spec)) fields.add(key);
      continue;
    }
    const [root, field] = change.path.split('/').slice(1).map(unescapePointerSegment);
    if (root === 'spec' && field !== undefined) fields.add(field);
  }
  return [...fields];
}

function valueAt(document: Json, pointer: string): Json | undefined {
  if (pointer === '/' || pointer === '') return document;
  let node: Json | undefined = document;
  for (const segment of pointer.split('/').slice(1).map(unescapePointerSegment)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isRecord(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

function containsMasked(value: Json | undefined): boolean {
  if (value === MASKED_VALUE) return true;
  if (Array.isArray(value)) return value.some(containsMasked);
  return isRecord(value) && Object.values(value).some(containsMasked);
}

function isRecord(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes that put the driftless:commit tag of their commit where live state shows it. */
const TAGGING_WRITES: ReadonlySet<WriteAction> = new Set<WriteAction>([
  'RegisterTaskDefinition',
  'CreateService',
  'TagResource',
  'ExecuteChangeSet',
]);

/** The driftless:commit tag where the intent's write puts it: the service (TagResource, CreateService), the task
 * definition it runs (RegisterTaskDefinition), the stack (change sets). */
function provenanceCommit(intent: LedgerEntry, live: LiveResource): string | undefined {
  const tags: unknown =
    live.kind === 'CloudFormationStack'
      ? live.stack.Tags
      : intent.action === 'RegisterTaskDefinition'
        ? live.taskDefinitionTags
        : live.service.tags;
  if (!Array.isArray(tags)) return undefined;
  const tag = tags.find((candidate) => isRecord(candidate) && (candidate.key ?? candidate.Key) === 'driftless:commit');
  return isRecord(tag) ? String(tag.value ?? tag.Value) : undefined;
}

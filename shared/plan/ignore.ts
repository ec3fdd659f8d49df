/** Ignore rules: the differences settings, a declaration or Application Auto Scaling keep out of a plan, each kept
 * visible as an ignored difference with the rule that kept it out. Pure. */
import type { Declaration, EcsServiceDeclaration } from '../spec/repository.ts';
import type { SettingsDocument } from '../spec/schema.ts';
import type { Json, JsonObject } from './canonical.ts';
import { diff, type FieldChange, isUnderPointer, removePointer } from './diff.ts';
import type { LiveEcsService } from './live-state.ts';

/** A difference an ignore rule kept out of the plan, and the rule that did it. */
export interface IgnoredDifference extends FieldChange {
  readonly rule: string;
  readonly source: 'settings' | 'declaration' | 'autoscaling';
}

export function ignoreRules(declaration: Declaration, settings: SettingsDocument | undefined) {
  return [
    ...(settings?.spec.sync.ignore[declaration.kind] ?? []).map((rule) => ({ rule, source: 'settings' as const })),
    ...(declaration.document.sync?.ignore ?? []).map((rule) => ({ rule, source: 'declaration' as const })),
  ];
}

/** Diffs two canonical documents, keeping what the ignore rules cover out of the changes but in the explanation. */
export function compare(
  live: JsonObject,
  desired: JsonObject,
  rules: readonly { rule: string; source: IgnoredDifference['source'] }[],
): { changes: FieldChange[]; ignored: IgnoredDifference[] } {
  const all = diff(live, desired);
  if (rules.length === 0) return { changes: all, ignored: [] };
  const ignored: IgnoredDifference[] = [];
  for (const change of all) {
    const rule = rules.find((candidate) => isUnderPointer(change.path, candidate.rule));
    if (rule) ignored.push({ ...change, rule: rule.rule, source: rule.source });
  }
  // A rule deeper than a reported difference (the whole object is missing on one side) is applied by removing the
  // ignored field from both sides and diffing again.
  let strippedLive: Json = live;
  let strippedDesired: Json = desired;
  for (const { rule } of rules) {
    strippedLive = removePointer(strippedLive, rule);
    strippedDesired = removePointer(strippedDesired, rule);
  }
  return { changes: diff(strippedLive, strippedDesired), ignored };
}

/** With Application Auto Scaling in charge, a different live count is expected: shown as ignored, never changed. */
export function autoscalingIgnore(declaration: EcsServiceDeclaration, live: LiveEcsService): IgnoredDifference[] {
  const spec = declaration.document.spec;
  if (spec.autoscaling === undefined || spec.autoscaling === false || spec.desiredCount === undefined) return [];
  const liveCount = live.service.desiredCount;
  if (liveCount === spec.desiredCount) return [];
  return [
    {
      path: '/spec/desiredCount',
      ...(typeof liveCount === 'number' ? { before: liveCount } : {}),
      after: spec.desiredCount,
      rule: 'autoscaling',
      source: 'autoscaling',
    },
  ];
}

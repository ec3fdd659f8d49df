/** With `-c dashboard=true` the stack adds the dashboard and the ledger metrics it graphs; the alarms are the same
 * either way. */
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_METRICS } from '../../infra/constructs/monitoring.ts';
import { REQUIRED_CONTEXT, type Synthesized, synthesize } from './synth.ts';

let synthesized: Synthesized | undefined;
let template: Template;

beforeAll(() => {
  synthesized = synthesize({ ...REQUIRED_CONTEXT, dashboard: 'true' });
  ({ template } = synthesized);
}, 180_000);

afterAll(() => synthesized?.cleanup());

describe('DriftlessStack with the dashboard', () => {
  it('shows runs, changes, drift, failures, duration and queue depth', () => {
    // Prepare
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    const ledgerMetrics = Object.keys(LEDGER_METRICS);

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const metric of [...ledgerMetrics, 'Duration', 'Errors']) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    template.resourceCountIs('AWS::Logs::MetricFilter', functions.length * ledgerMetrics.length);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "ledger entry") && ($.ledger.kind = "run") }',
      MetricTransformations: [{ MetricNamespace: 'Driftless/default', MetricName: 'Runs', MetricValue: '1' }],
    });
  });

  it('adds no alarm: the alarms are the same as without it', () => {
    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });
});

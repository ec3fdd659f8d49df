/** The cost model prices every resource the stack creates: each deployment's synthesized template has no resource
 * type without a price entry, the units are counted the way AWS bills them, and the default deployment stays within
 * $1/month at 100 services outside the free tier. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEPLOYMENTS,
  type Deployment,
  FIXED_PRICES,
  fixedMonthlyCost,
  monthlyCost,
  synthesizedResources,
  type TemplateResource,
  unpricedTypes,
} from '../../bench/cost.ts';

let templates: Record<Deployment, Record<string, TemplateResource>>;

beforeAll(() => {
  templates = Object.fromEntries(
    Object.entries(DEPLOYMENTS).map(([name, context]) => [name, synthesizedResources(context)]),
  ) as typeof templates;
}, 300_000);

const ofType = (resources: Record<string, TemplateResource>, type: string) =>
  Object.values(resources).filter((resource) => resource.Type === type);

describe('the fixed cost model', () => {
  it('has a price entry for every resource type of every deployment, with a source or the reason it is free', () => {
    for (const [name, resources] of Object.entries(templates)) {
      // Assess
      expect(unpricedTypes(resources), name).toEqual([]);
    }
    for (const price of Object.values(FIXED_PRICES)) {
      expect(price.source).toMatch(price.monthly > 0 ? /^https:\/\/aws\.amazon\.com\// : /no charge/);
    }
  });

  it('refuses a template with a resource type it has no price for', () => {
    // Prepare
    const resources = { ...templates.default, Topic: { Type: 'AWS::SNS::Topic' } };

    // Act / Assess
    expect(unpricedTypes(resources)).toEqual(['AWS::SNS::Topic']);
    expect(() => fixedMonthlyCost(resources)).toThrow(/AWS::SNS::Topic/);
  });

  it('counts alarms, dashboards and custom metrics as CloudWatch bills them, inside and outside the free tier', () => {
    // Prepare: the dashboard deployment's metric filters publish each ledger metric from every function's log group.
    const resources = templates.dashboard;
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').length;
    const filters = ofType(resources, 'AWS::Logs::MetricFilter').length;

    // Act
    const lines = Object.fromEntries(fixedMonthlyCost(resources).lines.map((line) => [line.type, line]));

    // Assess
    expect(filters).toBeGreaterThan(5);
    expect(lines['AWS::Logs::MetricFilter']).toMatchObject({ units: 5, outsideFreeTier: 1.5, insideFreeTier: 0 });
    expect(lines['AWS::CloudWatch::Dashboard']).toMatchObject({ units: 1, outsideFreeTier: 3, insideFreeTier: 0 });
    expect(lines['AWS::CloudWatch::Alarm']?.units).toBe(alarms);
    expect(lines['AWS::CloudWatch::Alarm']?.outsideFreeTier).toBeCloseTo(alarms * 0.1, 10);
    expect(lines['AWS::CloudWatch::Alarm']?.insideFreeTier).toBeCloseTo(Math.max(0, alarms - 10) * 0.1, 10);
  });

  it('bills a metric-math alarm per metric, and an SQS event source but not a DynamoDB stream one', () => {
    // Prepare
    const resources: Record<string, TemplateResource> = {
      Math: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { Metrics: [{ Id: 'e', Expression: 'a+b' }, { MetricStat: {} }, { MetricStat: {} }] },
      },
      Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } },
      FromQueue: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
      },
      FromStream: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] } },
      },
    };

    // Act
    const lines = Object.fromEntries(fixedMonthlyCost(resources).lines.map((line) => [line.type, line]));

    // Assess
    expect(lines['AWS::CloudWatch::Alarm']?.units).toBe(3);
    expect(lines['AWS::Lambda::EventSourceMapping']?.units).toBe(1);
  });

  it('each option that creates fixed-cost resources costs more than the default deployment', () => {
    // Act
    const fixed = Object.fromEntries(
      Object.entries(templates).map(([name, resources]) => [name, fixedMonthlyCost(resources).outsideFreeTier]),
    );

    // Assess
    for (const option of ['dashboard', 'archiveLedger', 'createTrail', 'sweepShardSize', 'github'] as const) {
      expect(fixed[option], option).toBeGreaterThan(fixed.default!);
    }
  });

  it('keeps the default deployment within $1/month at 100 services outside the free tier', () => {
    // Prepare: sweep and push durations well above what the bench measures (0.1 s and 0.3 s warm).
    const fixed = fixedMonthlyCost(templates.default);

    // Act
    const cost = monthlyCost({ sweepSeconds: { 100: 0.5, 1000: 2 }, pushSeconds: 1, fixed });

    // Assess
    expect(cost.services100.total).toBeLessThanOrEqual(1);
    expect(cost.services100.total).toBeCloseTo(
      cost.services100.perRequest.outsideFreeTier.total + fixed.outsideFreeTier,
      10,
    );
    expect(cost.services100.totalInsideFreeTier).toBeLessThan(cost.services100.total);
  });
});

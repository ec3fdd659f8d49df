/** The one list of ECS request members a declaration cannot set, each with the reason, and the members only one of
 * CreateService and UpdateService takes: test/shared/spec/ecs-fields.test.ts checks both against the pinned SDK's own
 * schema, so an SDK upgrade that adds a member fails a test instead of lagging silently. Pure data. */

/** Member paths of CreateServiceRequest / UpdateServiceRequest (`service`) and RegisterTaskDefinitionRequest
 * (`taskDefinition`, declared under spec.taskDefinition) that a declaration's spec does not accept, with why. `[]`
 * marks list items, as in `a[].b`; an entry covers the members under it. */
export const NOT_DECLARABLE = {
  service: {
    serviceName: 'set from metadata.name',
    service: 'set from metadata.name (UpdateService names the service this way)',
    cluster: 'set from metadata.cluster',
    taskDefinition:
      'the revision ARN: spec.taskDefinition is the RegisterTaskDefinition input, which driftless registers and passes by ARN',
    clientToken: 'client token: idempotency is ours (the journal and the next plan), not a request field',
    forceNewDeployment:
      'an action, not a state: ECS starts a new deployment whenever what the tasks run changes, which is all a declaration can ask for',
    role: 'legacy Classic Load Balancer role: ECS uses its service-linked role, and a role here would bypass roleArnPatterns',
    gatewayConnectors:
      'not reported by DescribeServices (only by DescribeServiceRevisions, which the live reader does not read): drift on it could be neither seen nor reverted',
    monitoring:
      'not reported by DescribeServices (only by DescribeServiceRevisions, which the live reader does not read): drift on it could be neither seen nor reverted',
  },
  taskDefinition: {
    inferenceAccelerators: 'deprecated by ECS: Amazon Elastic Inference is no longer available',
  },
} as const satisfies Record<'service' | 'taskDefinition', Record<string, string>>;

/** Spec fields that are driftless's own, not ECS request members. */
export const DECLARATION_ONLY: Readonly<Record<string, string>> = {
  autoscaling: 'Application Auto Scaling owns desiredCount within the declared scalable target',
};

/** Declarable service fields CreateService takes and UpdateService does not: a change to them needs a new service
 * (launchType, schedulingStrategy) or another call (tags go through TagResource). */
export const CREATE_SERVICE_ONLY = ['launchType', 'schedulingStrategy', 'tags'] as const;

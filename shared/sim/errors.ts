/** The errors the simulator raises: real SDK exception instances, named and coded as the services answer them, so
 * code that inspects `name`, `$fault` or `$metadata.httpStatusCode` sees what it would see from AWS. */

import {
  ApplicationAutoScalingServiceException,
  InvalidNextTokenException,
  ObjectNotFoundException,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AlreadyExistsException,
  ChangeSetNotFoundException,
  CloudFormationServiceException,
  InsufficientCapabilitiesException,
  InvalidChangeSetStatusException,
} from '@aws-sdk/client-cloudformation';
import {
  ClientException,
  ClusterNotFoundException,
  ECSServiceException,
  InvalidParameterException,
  ResourceNotFoundException,
  ServerException,
  ServiceNotActiveException,
  ServiceNotFoundException,
} from '@aws-sdk/client-ecs';

export type AwsServiceName = 'ECS' | 'CloudFormation' | 'ApplicationAutoScaling';

let requestCounter = 0;

/** Response metadata as the SDK fills it for a failed call (one attempt: the simulator sits beneath the retries). */
function metadata(httpStatusCode: number) {
  requestCounter += 1;
  const requestId = `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`;
  return { httpStatusCode, requestId, attempts: 1, totalRetryDelay: 0 };
}

// ------------------------------------------------------------------------------------------------ ECS

export const ecsErrors = {
  clusterNotFound: () => new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: metadata(400) }),
  serviceNotFound: () => new ServiceNotFoundException({ message: 'Service not found.', $metadata: metadata(400) }),
  serviceNotActive: () =>
    new ServiceNotActiveException({ message: 'Service was not ACTIVE.', $metadata: metadata(400) }),
  client: (message: string) => new ClientException({ message, $metadata: metadata(400) }),
  invalidParameter: (message: string) => new InvalidParameterException({ message, $metadata: metadata(400) }),
  resourceNotFound: (message: string) => new ResourceNotFoundException({ message, $metadata: metadata(400) }),
  /** ECS has no ThrottlingException class: the SDK builds its base exception under the wire name. */
  throttling: () =>
    new ECSServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: metadata(400),
    }),
  server: () =>
    new ServerException({ message: 'Service Unavailable. Please try again later.', $metadata: metadata(500) }),
};

// ------------------------------------------------------------------------------------------------ CloudFormation

export const cloudFormationErrors = {
  /** CloudFormation's catch-all client error; the SDK has no class for it. */
  validation: (message: string) =>
    new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      message,
      $metadata: metadata(400),
    }),
  alreadyExists: (message: string) => new AlreadyExistsException({ message, $metadata: metadata(400) }),
  changeSetNotFound: (name: string) =>
    new ChangeSetNotFoundException({ message: `ChangeSet [${name}] does not exist`, $metadata: metadata(404) }),
  invalidChangeSetStatus: (message: string) =>
    new InvalidChangeSetStatusException({ message, $metadata: metadata(400) }),
  insufficientCapabilities: (capability: string) =>
    new InsufficientCapabilitiesException({
      message: `Requires capabilities : [${capability}]`,
      $metadata: metadata(400),
    }),
  throttling: () =>
    new CloudFormationServiceException({
      name: 'Throttling',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: metadata(400),
    }),
  server: () =>
    new CloudFormationServiceException({
      name: 'InternalFailure',
      $fault: 'server',
      message: 'An internal error occurred.',
      $metadata: metadata(500),
    }),
};

// ------------------------------------------------------------------------------------------------ Application Auto Scaling

export const autoScalingErrors = {
  validation: (message: string) => new ValidationException({ message, $metadata: metadata(400) }),
  objectNotFound: (message: string) => new ObjectNotFoundException({ message, $metadata: metadata(400) }),
  invalidNextToken: () => new InvalidNextTokenException({ message: 'Invalid NextToken', $metadata: metadata(400) }),
  /** Application Auto Scaling's throttling has no class in the SDK: its base exception under the wire name. */
  throttling: () =>
    new ApplicationAutoScalingServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: metadata(400),
    }),
  server: () =>
    new ApplicationAutoScalingServiceException({
      name: 'InternalServiceException',
      $fault: 'server',
      message: 'An internal error occurred.',
      $metadata: metadata(500),
    }),
};

const errorsOf = { ECS: ecsErrors, CloudFormation: cloudFormationErrors, ApplicationAutoScaling: autoScalingErrors };

export function throttlingError(service: AwsServiceName): Error {
  return errorsOf[service].throttling();
}

export function serverError(service: AwsServiceName): Error {
  return errorsOf[service].server();
}

/** What the SDK's HTTP handler raises when a request outlives its timeout. */
export function timeoutError(api: string): Error {
  const error = new Error(`${api}: connection timed out (simulated)`);
  error.name = 'TimeoutError';
  return error;
}

/** The one place AWS SDK clients are built: region, endpoint override, retry mode and user agent in one spot. */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CodeCommitClient, type CodeCommitClientConfig } from '@aws-sdk/client-codecommit';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClientOptions {
  /** AWS region; defaults to the SDK's own resolution (AWS_REGION, profile). */
  region?: string;
  /** An AWS-compatible endpoint, e.g. for integration tests. Defaults to DRIFTLESS_AWS_ENDPOINT when set. */
  endpoint?: string;
  /** Attempts per call including the first; the SDK's adaptive mode backs off on throttling. */
  maxAttempts?: number;
  /** Static credentials instead of the default provider chain (tests, integration endpoints). */
  credentials?: CodeCommitClientConfig['credentials'];
  /** The HTTP layer; tests pass one that answers on loopback or in memory. */
  requestHandler?: CodeCommitClientConfig['requestHandler'];
}

const USER_AGENT_APP_ID = 'driftless';

function commonConfig(options: AwsClientOptions) {
  const endpoint = options.endpoint ?? process.env.DRIFTLESS_AWS_ENDPOINT;
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'adaptive',
    customUserAgent: USER_AGENT_APP_ID,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
  } as const;
}

export function codeCommitClient(options: AwsClientOptions = {}): CodeCommitClient {
  return new CodeCommitClient(commonConfig(options));
}

export function ecsClient(options: AwsClientOptions = {}): ECSClient {
  return new ECSClient(commonConfig(options));
}

export function cloudFormationClient(options: AwsClientOptions = {}): CloudFormationClient {
  return new CloudFormationClient(commonConfig(options));
}

/** `driftless import` reads the scalable targets of ECS services with it. */
export function applicationAutoScalingClient(options: AwsClientOptions = {}): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient(commonConfig(options));
}

export function dynamoDbClient(options: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(commonConfig(options));
}

export function eventBridgeClient(options: AwsClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(commonConfig(options));
}

export function sqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(commonConfig(options));
}

/** The GitHub App key, the GitLab token and the webhook secret are read with it (functions/secrets.ts). */
export function secretsManagerClient(options: AwsClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(commonConfig(options));
}

/** With an endpoint (an S3-compatible store in tests or integration), buckets are addressed by path, not by host. */
export function s3Client(options: AwsClientOptions = {}): S3Client {
  const config = commonConfig(options);
  return new S3Client({ ...config, ...('endpoint' in config ? { forcePathStyle: true } : {}) });
}

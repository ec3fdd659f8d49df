/** Starts one DynamoDB Local for the whole test run and stops it by its PID when the run ends. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../cli/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoDbEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}

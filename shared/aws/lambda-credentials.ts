/** The SDK's credential provider as the Lambda bundles resolve it (infra/bundling.ts aliases
 * @aws-sdk/credential-provider-node to this module): Lambda hands a function its role's credentials in environment
 * variables only, so the default chain's other providers (profiles, SSO, web identity, instance metadata) and the STS
 * and SSO clients they carry would be dead weight in every bundle and every cold start. */
import { ConfigurationError } from '../errors.ts';

/** The credentials the SDK signs with, as its providers return them. */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** `defaultProvider` under the name the SDK clients import; the init options (logger, profile) have nothing to say
 * about environment variables. */
export function defaultProvider(_init?: unknown): () => Promise<EnvironmentCredentials> {
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new ConfigurationError(
        'no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): a Lambda function always has them',
      );
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    const expiry = process.env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiry ? { expiration: new Date(expiry) } : {}),
    };
  };
}

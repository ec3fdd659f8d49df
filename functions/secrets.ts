/** Secrets the functions read from Secrets Manager (the GitHub App key, the GitLab token, the webhook secret): each
 * read once per warm function and kept in memory only, never logged, never returned in an error message. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isRetryableAwsError } from '../shared/aws/errors.ts';
import { ConfigurationError, RetryableError } from '../shared/errors.ts';

/** After a rotation the cached value is stale: a caller that sees it refused may read again, at most this often, so
 * unauthenticated requests cannot make the function call Secrets Manager on every request. */
const REREAD_AFTER_MS = 5 * 60_000;

export class CachedSecret {
  private value?: Promise<string>;
  private readAt = 0;

  constructor(
    private readonly secretArn: string,
    private readonly client: SecretsManagerClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The secret's text, read on the first call. */
  read(): Promise<string> {
    if (!this.value) {
      this.readAt = this.now();
      this.value = this.fetch();
      // A failed read is not kept: the next invocation tries again.
      this.value.catch(() => {
        this.value = undefined;
      });
    }
    return this.value;
  }

  /** Reads the secret again if the value held is old enough (a rotation may have replaced it); true when it did. */
  async reread(): Promise<boolean> {
    if (this.value && this.now() - this.readAt < REREAD_AFTER_MS) return false;
    this.value = undefined;
    await this.read();
    return true;
  }

  private async fetch(): Promise<string> {
    let text: string | undefined;
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
      text =
        answer.SecretString ?? (answer.SecretBinary ? Buffer.from(answer.SecretBinary).toString('utf8') : undefined);
    } catch (error) {
      // The AWS error names the secret and the cause, never its value.
      if (isRetryableAwsError(error)) {
        throw new RetryableError(`reading secret ${this.secretArn} failed`, { cause: error });
      }
      throw new ConfigurationError(`secret ${this.secretArn} cannot be read by this function`, { cause: error });
    }
    if (!text || text.trim() === '') throw new ConfigurationError(`secret ${this.secretArn} holds no value`);
    return text;
  }
}

/** One CachedSecret per ARN for the life of the execution environment. */
export class SecretCache {
  private readonly secrets = new Map<string, CachedSecret>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly now: () => number = Date.now,
  ) {}

  get(secretArn: string): CachedSecret {
    let secret = this.secrets.get(secretArn);
    if (!secret) {
      secret = new CachedSecret(secretArn, this.client, this.now);
      this.secrets.set(secretArn, secret);
    }
    return secret;
  }
}

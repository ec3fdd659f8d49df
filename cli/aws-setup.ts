/** Recognises the AWS SDK's "no region" and "no credentials" failures, so the CLI can say how to give them. */

/** The sentence to print when `error` (or an error it wraps) says the SDK found no region or no credentials. */
export function awsSetupProblem(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    // The SDK throws a plain Error with this message when no region is configured anywhere it looks.
    if (cause.message === 'Region is missing') {
      return (
        'no AWS region: pass --region eu-west-1, set AWS_REGION, or name one in your profile (AWS_PROFILE, ' +
        '~/.aws/config); against an emulator, pass --endpoint http://127.0.0.1:4566 with --region'
      );
    }
    if (cause.name === 'CredentialsProviderError') {
      return (
        'no AWS credentials: set AWS_PROFILE (after aws sso login, or with keys in ~/.aws/credentials) or ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; against an emulator, pass --endpoint http://127.0.0.1:4566 ' +
        'and any test keys'
      );
    }
  }
  return undefined;
}

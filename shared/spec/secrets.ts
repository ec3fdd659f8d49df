/** What counts as a secret: names that announce one, values shaped like a credential (keys, tokens, private keys,
 * passwords in URLs and on command lines), and the references that keep a secret out of Git. One detector for the
 * checks (refuse) and the plan (mask). Every answer names a kind of secret, never the value. Pure. */

// Patterns follow the shapes the providers document and that gitleaks and secretlint rules match. secretlint itself
// does not fit here: its current majors need Node 22, the last Node-20 one ships about 1 MB of bundled rules, and
// its rules run under an asynchronous plugin engine, where these checks are synchronous and pure.
const SECRET_VALUE_SHAPES: readonly { readonly kind: string; readonly pattern: RegExp }[] = [
  { kind: 'a private key block', pattern: /-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/ },
  { kind: 'an AWS access key id', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/ },
  // 40 characters of base64 with both letter cases and a digit: an AWS secret access key, not a hex sha.
  {
    kind: 'an AWS secret access key',
    pattern:
      /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/,
  },
  {
    kind: 'a GitHub token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?![A-Za-z0-9_])/,
  },
  { kind: 'a GitLab token', pattern: /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|cbt|ft|imt|soat)-[A-Za-z0-9_-]{20,}/ },
  { kind: 'a Slack token', pattern: /(?<![A-Za-z0-9])(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}/ },
  {
    kind: 'a Slack webhook URL',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,}/,
  },
  { kind: 'a Stripe secret key', pattern: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/ },
  { kind: 'an npm token', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/ },
  { kind: 'a SendGrid API key', pattern: /(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/ },
  { kind: 'a Google API key', pattern: /(?<![A-Za-z0-9_])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/ },
  { kind: 'an OpenAI API key', pattern: /(?<![A-Za-z0-9])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}/ },
  { kind: 'an Anthropic API key', pattern: /(?<![A-Za-z0-9])sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{20,}/ },
  { kind: 'a JSON Web Token', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  // A password written as ${VARIABLE} or $VARIABLE is read from the environment at run time: not a value.
  // The scheme starts where a run of scheme characters starts, and is short: matching stays linear in the text.
  {
    kind: 'a password in a URL',
    pattern: /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\/[^/\s:@]*:(?!\$)[^/\s@]+@/i,
  },
];

const SECRET_WORD = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
/** Last words of names that contain a secret-looking word but conventionally hold a reference, a setting about the
 * secret, or a flag: DB_PASSWORD_ARN, TOKEN_TTL, SecretName, PasswordPolicy, --password-stdin. */
const NOT_A_SECRET_LAST_WORDS = new Set([
  'arn',
  'arns',
  'id',
  'ids',
  'name',
  'names',
  'path',
  'file',
  'url',
  'uri',
  'region',
  'ttl',
  'length',
  'expiry',
  'expiration',
  'header',
  'type',
  'units',
  'validity',
  'rotation',
  'version',
  'enabled',
  'required',
  'policy',
  'stdin',
  'prompt',
  'parameter',
  'template',
]);

/** The words of a name however it is written: DB_PASSWORD, dbPassword, MasterUserPassword, --db-password. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

/** True when a name (a variable, a key, a tag, a flag) announces that its value is a secret. */
export function looksLikeSecretName(name: string): boolean {
  if (!SECRET_WORD.test(name.replace(/[-.]/g, '_'))) return false;
  const words = wordsOf(name);
  return !NOT_A_SECRET_LAST_WORDS.has(words.at(-1) ?? '') && words[0] !== 'no';
}

/** A value that only points at a secret: read from the environment at run time, or an ARN of where it is kept. */
function isIndirect(value: string): boolean {
  const unquoted = value.replace(/^["']+/, '');
  return unquoted.startsWith('$') || unquoted.startsWith('arn:') || unquoted.startsWith('{{resolve:');
}

/** The kind of secret a string holds, if any: a known credential shape, `--password=…` or `TOKEN=…` among its
 * words. Never returns the value itself. */
export function secretShapeOf(value: string): string | undefined {
  const shape = SECRET_VALUE_SHAPES.find((candidate) => candidate.pattern.test(value))?.kind;
  if (shape) return shape;
  if (!value.includes('=')) return undefined;
  for (const word of value.split(/[\s,;]+/)) {
    const equals = word.indexOf('=');
    if (equals <= 0) continue;
    const name = word.slice(0, equals);
    const assigned = word.slice(equals + 1).replace(/^["']|["']$/g, '');
    if (assigned === '' || isIndirect(assigned) || !looksLikeSecretName(name)) continue;
    return name.startsWith('-') ? 'a secret in a command-line flag' : 'a secret assigned to a secret-looking name';
  }
  return undefined;
}

export interface SecretInArguments {
  readonly kind: string;
  /** The argument (list index) that holds it. */
  readonly index: number;
}

/** A flag that takes a user name: with one of these present, `-p` is a password (mysql -u root -p… ) and not a
 * port. */
const USER_FLAGS = new Set(['-u', '-U', '--user', '--username']);

/** The first secret in an argument list (a container's command or entryPoint, a health check): a credential shape
 * or an assignment in any argument, `--password <value>` as two arguments, or `-p <value>` beside a user flag. */
export function secretInArguments(args: readonly string[]): SecretInArguments | undefined {
  for (const [index, arg] of args.entries()) {
    const kind = secretShapeOf(arg);
    if (kind) return { kind, index };
  }
  const words = args.flatMap((arg, index) =>
    arg
      .split(/\s+/)
      .filter((word) => word !== '')
      .map((word) => ({ word, index })),
  );
  const withUser = words.some(({ word }) => USER_FLAGS.has(word.split('=')[0]!));
  for (const [position, { word, index }] of words.entries()) {
    const next = words[position + 1];
    const takesValue = next !== undefined && !next.word.startsWith('-') && !isIndirect(next.word);
    if (/^--[A-Za-z]/.test(word) && !word.includes('=') && takesValue && looksLikeSecretName(word)) {
      return { kind: 'a secret in a command-line flag', index: next.index };
    }
    if (!withUser) continue;
    if (word === '-p' && takesValue && !/^\d+(:\d+)?$/.test(next.word)) {
      return { kind: 'a password in a command-line flag', index: next.index };
    }
    if (/^-p[^\s=]{2,}$/.test(word) && !/^-p\d+$/.test(word) && !isIndirect(word.slice(2))) {
      return { kind: 'a password in a command-line flag', index };
    }
  }
  return undefined;
}

/** A CloudFormation dynamic reference to a secret store: resolved by CloudFormation, never shown. */
export function isSecretDynamicReference(value: string): boolean {
  return value.includes('{{resolve:secretsmanager:') || value.includes('{{resolve:ssm-secure:');
}

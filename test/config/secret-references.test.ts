// Every value a profile pulls in through ${env:…} or ${file:…} is a secret,
// in any field, except the fields every report shows by design; a secret too
// short to keep out of the reports is a located problem.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { tempDir } from '../helpers/tmp.js';

const PROFILE = `key:
  name: \${env:NAME}
  system: crm
  environment: \${env:ENV}
  purpose: agent-call
  secret: \${env:KEY}
  id: \${env:KEY_ID}
target:
  origin: \${env:ORIGIN}
allowed:
  - method: POST
    path: /v1/agents
    headers: { X-Key-Id: "\${env:KEY_ID}", X-Key-Secret: "HMAC \${env:SECOND}" }
    body: { token: "\${file:token.txt}" }
otherEnvironments:
  - { environment: "\${env:OTHER_ENV}", secret: "\${env:FOREIGN}" }
`;

/** A key-shaped value made at test time: nothing shaped like a key is committed. */
const fresh = (prefix: string) => `${prefix}${randomBytes(15).toString('hex')}`;
const FILE_TOKEN = fresh('file-token-');

const env = {
  NAME: 'crm-prod-agent-call',
  ENV: 'prod',
  KEY: fresh('kp_prod_'),
  KEY_ID: 'key_1a2b3c4d5e6f',
  ORIGIN: 'http://127.0.0.1:8787',
  SECOND: fresh('second-secret-'),
  OTHER_ENV: 'test',
  FOREIGN: fresh('kp_test_'),
};

describe('secrets from references', () => {
  it('registers every referenced value outside the public fields, in headers and bodies too', () => {
    const tmp = tempDir();
    try {
      tmp.file('token.txt', `${FILE_TOKEN}\n`);
      const { problems, loaded } = checkProfileFile(tmp.file('p.yaml', PROFILE), env);
      expect(problems).toEqual([]);
      expect([...loaded!.secrets].sort()).toEqual([env.KEY, env.FOREIGN, env.KEY_ID, env.SECOND, FILE_TOKEN].sort());
      // The key id in key.id is public; the same value sent as a header is a secret all the same.
      expect(loaded!.profile.target.origin).toBe(env.ORIGIN);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a referenced secret shorter than 16 characters, at its place, naming neither it nor its value', () => {
    const tmp = tempDir();
    try {
      tmp.file('token.txt', 'short\n');
      const { problems } = checkProfileFile(tmp.file('p.yaml', PROFILE), { ...env, SECOND: 'Ab3xY9zQ1' });
      expect(problems.map((p) => `${p.line}:${p.path}`)).toEqual(['13:allowed[0].headers.X-Key-Secret', '14:allowed[0].body.token']);
      expect(problems[0]!.message).toContain('a secret of 9 characters, shorter than 16');
      expect(problems[1]!.message).toContain('a secret of 5 characters');
      expect(JSON.stringify(problems)).not.toContain('Ab3xY9zQ1');
    } finally {
      tmp.cleanup();
    }
  });
});

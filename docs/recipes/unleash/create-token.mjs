// keyprobe command adapter, create: makes an Unleash client token for a canary.
// In (environment): KEYPROBE_KEY_NAME, KEYPROBE_KEY_ENVIRONMENT,
// KEYPROBE_EXPIRES_IN_SECONDS (set by the expiry check), UNLEASH_URL,
// UNLEASH_ADMIN_TOKEN. Out (stdout): {"id", "secret", "expiresAt", "environment"}.
// The token is addressed by its name (the canary names keyprobe gives are
// unique), so its id is the name and the secret never travels as an id.
const { UNLEASH_URL, UNLEASH_ADMIN_TOKEN, KEYPROBE_KEY_NAME, KEYPROBE_KEY_ENVIRONMENT, KEYPROBE_EXPIRES_IN_SECONDS } = process.env;
// A canary created without a requested lifetime still dies within the hour, should a cleanup ever fail.
const seconds = Number(KEYPROBE_EXPIRES_IN_SECONDS || 3600);
const res = await fetch(`${UNLEASH_URL}/api/admin/api-tokens`, {
  method: 'POST',
  headers: { authorization: UNLEASH_ADMIN_TOKEN, 'content-type': 'application/json' },
  body: JSON.stringify({
    tokenName: KEYPROBE_KEY_NAME,
    type: 'client',
    environment: KEYPROBE_KEY_ENVIRONMENT,
    projects: ['default'],
    expiresAt: new Date(Date.now() + seconds * 1000).toISOString(),
  }),
});
if (res.status !== 201) {
  console.error(`Unleash answered ${res.status} to the token create`);
  process.exit(1);
}
const token = await res.json();
console.log(JSON.stringify({ id: token.tokenName, secret: token.secret, expiresAt: token.expiresAt, environment: token.environment }));

// keyprobe command adapter, delete: deletes the Unleash API token(s) named
// KEYPROBE_KEY_ID (the name create-token.mjs gave as the id). Unleash deletes
// by secret only, so the secret is looked up by name and used in the request
// path here, never printed. Exit 1 when no token has that name.
const { UNLEASH_URL, UNLEASH_ADMIN_TOKEN, KEYPROBE_KEY_ID } = process.env;
const headers = { authorization: UNLEASH_ADMIN_TOKEN };
const found = await fetch(`${UNLEASH_URL}/api/admin/api-tokens/${encodeURIComponent(KEYPROBE_KEY_ID)}`, { headers });
if (found.status !== 200) {
  console.error(`Unleash answered ${found.status} to the token lookup`);
  process.exit(1);
}
const { tokens } = await found.json();
if (tokens.length === 0) {
  console.error(`no Unleash token is named ${KEYPROBE_KEY_ID}`);
  process.exit(1);
}
for (const t of tokens) {
  const res = await fetch(`${UNLEASH_URL}/api/admin/api-tokens/${encodeURIComponent(t.secret)}`, { method: 'DELETE', headers });
  if (res.status !== 200) {
    console.error(`Unleash answered ${res.status} to the token delete`);
    process.exit(1);
  }
}

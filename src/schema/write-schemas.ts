// `npm run schemas`: writes every JSON Schema into schemas/ of the package.
// test/ecosystem/schemas.test.ts fails when the committed files drift from this.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { SCHEMA_KINDS, schemaFileName, schemaFileText } from './json-schemas.js';
import { PROFILE_DOC, profileDocText } from './profile-doc.js';

export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');

export function writeSchemas(dir = SCHEMAS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  return SCHEMA_KINDS.map((kind) => {
    const file = join(dir, schemaFileName(kind));
    writeFileSync(file, schemaFileText(kind), 'utf8');
    return file;
  });
}

/** docs/profile.md, generated from the same schemas (test/docs/profile-doc.test.ts fails when it is stale). */
export function writeProfileDoc(root = PACKAGE_ROOT): string {
  const file = join(root, PROFILE_DOC);
  writeFileSync(file, profileDocText(), 'utf8');
  return file;
}

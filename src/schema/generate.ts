// Entry point of `npm run schemas` (run from dist/ after a build).
import { writeSchemas } from './write-schemas.js';

for (const file of writeSchemas()) process.stdout.write(`wrote ${file}\n`);

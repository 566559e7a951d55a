// Entry point of `npm run schemas` (run from dist/ after a build).
import { writeProfileDoc, writeSchemas } from './write-schemas.js';

for (const file of [...writeSchemas(), writeProfileDoc()]) process.stdout.write(`wrote ${file}\n`);

// `keyprobe schema <kind>`: prints a JSON Schema, e.g. to point an editor at
// or to validate files in another toolchain.
import { EXIT, UsageError } from '../../errors.js';
import { isSchemaKind, SCHEMA_KINDS, schemaFileText } from '../../schema/json-schemas.js';
import type { CliIo } from '../io.js';

export function schemaCommand(io: CliIo) {
  return async (kind: string): Promise<number> => {
    if (!isSchemaKind(kind)) throw new UsageError(`unknown schema "${kind}"; choose one of: ${SCHEMA_KINDS.join(', ')}`);
    io.stdout.write(schemaFileText(kind));
    return EXIT.pass;
  };
}

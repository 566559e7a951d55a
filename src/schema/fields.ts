// Every field of a generated JSON Schema, found by walking it: its dotted
// path, a readable type, whether it must be written, its default, examples
// and description. The profile reference (docs/profile.md) and the test that
// every field is documented both read this list, so a field added to a zod
// schema (or moved into another module, like the lifecycle adapters) shows up
// in both without anyone listing it by hand.

export type JsonSchema = Record<string, unknown>;

export interface SchemaField {
  /** `target.auth.header`, `allowed[].expect`, `headers.<name>`. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly description?: string;
  /** The field's own JSON Schema (its examples must validate against it). */
  readonly schema: JsonSchema;
}

/** The fields of `schema`, parents before their children, each path once (the first form that names it wins). */
export function schemaFields(schema: JsonSchema): SchemaField[] {
  const fields = new Map<string, SchemaField>();
  const visit = (node: JsonSchema, path: string) => {
    const properties = node.properties as Record<string, JsonSchema> | undefined;
    const required = new Set((node.required as string[] | undefined) ?? []);
    for (const [name, child] of Object.entries(properties ?? {})) {
      const childPath = path ? `${path}.${name}` : name;
      if (!fields.has(childPath)) fields.set(childPath, describeField(childPath, child, required.has(name)));
      visit(child, childPath);
    }
    for (const variant of alternatives(node)) visit(variant, path);
    if (node.items && typeof node.items === 'object') visit(node.items as JsonSchema, `${path}[]`);
    if (node.additionalProperties && typeof node.additionalProperties === 'object')
      visit(node.additionalProperties as JsonSchema, `${path}.<name>`);
  };
  visit(schema, '');
  return [...fields.values()];
}

/** The other shapes a node may take: a union's members, a conditional's branches. */
function alternatives(node: JsonSchema): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = node[key];
    if (Array.isArray(list)) out.push(...(list as JsonSchema[]));
  }
  if (node.then && typeof node.then === 'object') out.push(node.then as JsonSchema);
  return out;
}

function describeField(path: string, schema: JsonSchema, required: boolean): SchemaField {
  return {
    path,
    type: typeText(schema),
    required,
    ...('default' in schema ? { default: schema.default } : {}),
    ...(Array.isArray(schema.examples) ? { examples: schema.examples } : {}),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  };
}

/** A short, readable type: `string`, `integer 100–599`, `list of string`, `"key" | "client"`, `string or object`. */
function typeText(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  // `any` beside other forms is a form with no JSON shape (a YAML date); the others say what to write.
  if (Array.isArray(variants))
    return [...new Set(variants.map(typeText))].filter((t, _, all) => t !== 'any' || all.length === 1).join(' or ');
  switch (schema.type) {
    case 'array':
      return schema.items && typeof schema.items === 'object' ? `list of ${typeText(schema.items as JsonSchema)}` : 'list';
    case 'object':
      if (schema.properties) return 'object';
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        return `map of ${typeText(schema.additionalProperties as JsonSchema)}`;
      return 'object';
    case 'integer':
    case 'number':
      return `${schema.type}${range(schema)}`;
    case 'string':
      if (schema.pattern === '^\\$\\{(env|file):[^}]+\\}$') return '${env:…} or ${file:…}';
      return 'string';
    case undefined:
      return 'any';
    default:
      return String(schema.type);
  }
}

/** Number bounds worth saying; the integer type's own limits are not. */
function range(schema: JsonSchema): string {
  const exclusive = schema.exclusiveMinimum as number | undefined;
  // An integer above 0 starts at 1; a number above 0 has no least value to show.
  const min = (schema.minimum ?? (exclusive !== undefined && schema.type === 'integer' ? exclusive + 1 : undefined)) as number | undefined;
  const max = schema.maximum as number | undefined;
  const show = (n: number | undefined) => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (exclusive !== undefined && min === undefined) return show(max) ? ` > ${exclusive}, ≤ ${max}` : ` > ${exclusive}`;
  if (show(min) && show(max)) return ` ${min}–${max}`;
  if (show(min)) return ` ≥ ${min}`;
  if (show(max)) return ` ≤ ${max}`;
  return '';
}

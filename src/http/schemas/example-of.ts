/** A JSON Schema as TypeBox builds it, seen only for what an example needs. */
interface SchemaLike {
  type?: string | string[];
  examples?: unknown[];
  example?: unknown;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: SchemaLike[];
  oneOf?: SchemaLike[];
  properties?: Record<string, SchemaLike>;
  required?: string[];
  items?: SchemaLike;
  format?: string;
  minimum?: number;
}

/** Thrown when a field gives nothing to build an example from; names the field. */
export class MissingExampleError extends Error {
  constructor(readonly path: string) {
    super(`${path || 'the answer'} has no example: give it \`examples: [...]\` in its schema`);
  }
}

const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  'date-time': '2026-01-15T09:30:00.000Z',
  email: 'customer@example.com',
  uri: 'https://example.com/checkout/complete',
};

/**
 * An example value of a schema, built from the examples its fields declare: a field's own
 * `examples`, `default`, `const` or first `enum` value; required properties only (an optional one
 * appears in some answers, not in the typical one); a nullable field that declares nothing is null.
 * A string without an example (other than a known format) is refused: a made-up value would
 * teach clients something false.
 */
export function exampleOf(schema: SchemaLike, path = ''): unknown {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return exampleOfBranches(branches, path);
  switch (schema.type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {}).filter(([name]) => schema.required?.includes(name));
      return Object.fromEntries(properties.map(([name, property]) => [name, exampleOf(property, path ? `${path}.${name}` : name)]));
    }
    case 'array':
      return schema.items ? [exampleOf(schema.items, `${path}[]`)] : [];
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'string': {
      const known = schema.format ? FORMAT_EXAMPLES[schema.format] : undefined;
      if (known !== undefined) return known;
      throw new MissingExampleError(path);
    }
    default:
      throw new MissingExampleError(path);
  }
}

function exampleOfBranches(branches: SchemaLike[], path: string): unknown {
  const nullable = branches.some((branch) => branch.type === 'null');
  for (const branch of branches.filter((b) => b.type !== 'null')) {
    // A nullable object that declares no fields says nothing worth showing: null shows it best.
    if (nullable && branch.type === 'object' && Object.keys(branch.properties ?? {}).length === 0) continue;
    try {
      return exampleOf(branch, path);
    } catch (error) {
      if (!(error instanceof MissingExampleError) || !nullable) throw error;
    }
  }
  if (nullable) return null;
  throw new MissingExampleError(path);
}

import type { FastifySchemaCompiler } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Whether values for `schema` from a URL (where everything arrives as a string) may need converting
 * before checking: any type but a string may.
 */
function mayNeedConversion(schema: TSchema): boolean {
  const s = schema as { type?: unknown; properties?: Record<string, TSchema> };
  if (s.type === 'string') return false;
  if (s.type === 'object' && s.properties) return Object.values(s.properties).some(mayNeedConversion);
  return true;
}

/**
 * TypeBox validation as @fastify/type-provider-typebox does it, without its value conversion for query
 * strings and path parameters made only of strings (nearly all of ours): that conversion walks the schema
 * on every request and would change nothing.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if (route.httpPart === 'body' || mayNeedConversion(route.schema)) return TypeBoxValidatorCompiler(route);
  const check = Compile(route.schema);
  return (value: unknown) => (check.Check(value) ? { value } : { error: check.Errors(value) as never });
};

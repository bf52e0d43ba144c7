import { Type } from 'typebox';
import type { TProperties, TSchema } from 'typebox';

// Small builders so that every property carries a default and a description: the generated
// config file (generate.ts) and the validator's messages both read them from the schema.

export const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });

export const int = (def: number, description: string, minimum = 0) =>
  Type.Integer({ default: def, minimum, description });

export const str = (def: string, description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, ...extra, default: def, description });

export const strList = (def: string[], description: string) => Type.Array(Type.String(), { default: def, description });

export const strMap = (description: string) =>
  Type.Record(Type.String(), Type.String(), { default: {}, description, hint: 'a mapping of names to strings' });

export const nullable = <T extends TSchema>(type: T, description: string) =>
  Type.Union([type, Type.Null()], { default: null, description });

/** A closed object: unknown keys are errors, and a missing section means all its defaults. */
export const section = <P extends TProperties>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });

/** A closed object inside a list (no default of its own: the list's items are given in full). */
export const entry = <P extends TProperties>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

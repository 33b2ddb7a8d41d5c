import type { z } from 'zod';

/**
 * A quick yes-or-no check of a value that `JSON.parse` just made, compiled from a zod schema: the
 * schema stays the one description of a document, and zod stays the one that explains a refusal.
 *
 * Why: a pack reads every evidence document of the month (60,000 for a 10,000-change month, five
 * times that at 50,000), and the zod parse of each built a copy of it, two small objects per
 * field on the way, and was a large part of the pack's time and garbage. This check walks the
 * value once, allocating nothing, and completes it where it stands.
 *
 * The contract, which the tests hold it to: when the check accepts, the value it returns equals
 * what the schema's `parse` returns for it (the same fields, values and defaults; only the order
 * of the keys may differ, and no reader of a document depends on it). When it is not sure, it
 * refuses, and the caller parses with zod, which accepts or names the bad field as it always did.
 * So it is only ever stricter than the schema, never looser:
 *   - an object with a key the schema does not name is refused (zod would drop it);
 *   - a schema part it does not know (a transform, a union, a refinement, an unknown check) is
 *     handed to zod's own `safeParse` for that part;
 *   - the value must come from `JSON.parse` and be owned by the caller: defaults are written into
 *     it, and a refused value may be left half-completed (parse the text again).
 */
export type ValueCheck = (value: unknown) => unknown;

/** What a check returns when it does not accept the value. */
export const REFUSED: unique symbol = Symbol('refused');

const compiled = new WeakMap<z.core.$ZodType, ValueCheck>();

/** The check of a schema, compiled once per schema object. */
export function compileCheck(schema: z.core.$ZodType): ValueCheck {
  const known = compiled.get(schema);
  if (known) return known;
  // Compiled lazily on first use, so a schema that refers to itself would not loop here.
  let check: ValueCheck | undefined;
  const lazy: ValueCheck = (value) => {
    check ??= compileNow(schema);
    return check(value);
  };
  compiled.set(schema, lazy);
  return lazy;
}

interface Def {
  readonly type: string;
  readonly checks?: readonly z.core.$ZodType[];
  readonly coerce?: boolean;
  readonly check?: string;
  readonly pattern?: RegExp;
  readonly format?: string;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly innerType?: z.core.$ZodType;
  readonly element?: z.core.$ZodType;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly catchall?: z.core.$ZodType;
  readonly keyType?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
  readonly mode?: string;
  readonly defaultValue?: unknown;
}

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def as unknown as Def;
}

function compileNow(schema: z.core.$ZodType): ValueCheck {
  return compileType(schema) ?? delegateToZod(schema);
}

/** The part zod checks itself: its output, or refused. */
function delegateToZod(schema: z.core.$ZodType): ValueCheck {
  const zodSchema = schema as unknown as { safeParse(value: unknown): { success: boolean; data?: unknown } };
  return (value) => {
    const parsed = zodSchema.safeParse(value);
    return parsed.success ? parsed.data : REFUSED;
  };
}

function compileType(schema: z.core.$ZodType): ValueCheck | undefined {
  const def = defOf(schema);
  if (def.coerce) return undefined;
  // A string format (`z.iso.datetime()`) is its own first check; the others follow.
  const ownCheck = def.check !== undefined ? [schema] : [];
  const tests = valueTests([...ownCheck, ...(def.checks ?? [])]);
  if (tests === undefined) return undefined;
  const only = tests.length === 1 ? (tests[0] as (value: unknown) => boolean) : undefined;
  const passes =
    tests.length === 0
      ? () => true
      : only
        ? only
        : (value: unknown) => {
            for (const test of tests) if (!test(value)) return false;
            return true;
          };
  switch (def.type) {
    case 'string':
      if (tests.length === 0) return (value) => (typeof value === 'string' ? value : REFUSED);
      return (value) => (typeof value === 'string' && passes(value) ? value : REFUSED);
    case 'number':
      return (value) =>
        typeof value === 'number' && Number.isFinite(value) && passes(value) ? value : REFUSED;
    case 'boolean':
      return tests.length > 0 ? undefined : (value) => (typeof value === 'boolean' ? value : REFUSED);
    case 'unknown':
    case 'any':
      return tests.length > 0 ? undefined : (value) => value;
    case 'enum':
    case 'literal': {
      const values = schema._zod.values;
      if (!values || tests.length > 0) return undefined;
      return (value) => (values.has(value as never) ? value : REFUSED);
    }
    case 'nullable': {
      if (tests.length > 0 || !def.innerType) return undefined;
      const inner = compileCheck(def.innerType);
      return (value) => (value === null ? null : inner(value));
    }
    case 'optional': {
      if (tests.length > 0 || !def.innerType || def.innerType._zod.optin === 'defaulted') return undefined;
      const inner = compileCheck(def.innerType);
      return (value) => (value === undefined ? undefined : inner(value));
    }
    case 'default': {
      if (tests.length > 0 || !def.innerType) return undefined;
      const fallback = def.defaultValue;
      // Only a plain value: an object default would be a fresh copy per parse.
      if (fallback === undefined || (typeof fallback === 'object' && fallback !== null)) return undefined;
      if (typeof fallback === 'function') return undefined;
      const inner = compileCheck(def.innerType);
      return (value) => {
        if (value === undefined) return fallback;
        const checked = inner(value);
        return checked === undefined ? fallback : checked;
      };
    }
    case 'array':
      return compileArray(def, passes);
    case 'object':
      return tests.length > 0 ? undefined : compileObject(def);
    case 'record':
      return tests.length > 0 ? undefined : compileRecord(def);
    default:
      return undefined;
  }
}

/** Tests for the checks zod would run on a value, or undefined when one is not known here. */
function valueTests(checks: readonly z.core.$ZodType[]): ((value: unknown) => boolean)[] | undefined {
  const tests: ((value: unknown) => boolean)[] = [];
  for (const check of checks) {
    const def = defOf(check);
    switch (def.check) {
      case 'string_format': {
        const pattern = def.pattern;
        // Formats whose whole check is their pattern (a URL or a JWT is checked by code of its own).
        if (def.format !== 'regex' && def.format !== 'datetime') return undefined;
        if (!(pattern instanceof RegExp) || pattern.global || pattern.sticky) return undefined;
        tests.push((value) => typeof value === 'string' && pattern.test(value));
        break;
      }
      case 'number_format':
        if (def.format !== 'safeint') return undefined;
        tests.push((value) => Number.isSafeInteger(value));
        break;
      case 'greater_than': {
        const bound = def.value;
        if (typeof bound !== 'number') return undefined;
        tests.push(
          def.inclusive
            ? (value) => typeof value === 'number' && value >= bound
            : (value) => typeof value === 'number' && value > bound,
        );
        break;
      }
      case 'less_than': {
        const bound = def.value;
        if (typeof bound !== 'number') return undefined;
        tests.push(
          def.inclusive
            ? (value) => typeof value === 'number' && value <= bound
            : (value) => typeof value === 'number' && value < bound,
        );
        break;
      }
      case 'min_length': {
        const minimum = def.minimum;
        if (typeof minimum !== 'number') return undefined;
        // Arrays only: a string's length counts code points, not UTF-16 units.
        tests.push((value) => Array.isArray(value) && value.length >= minimum);
        break;
      }
      case 'max_length': {
        const maximum = def.maximum;
        if (typeof maximum !== 'number') return undefined;
        tests.push((value) => Array.isArray(value) && value.length <= maximum);
        break;
      }
      default:
        return undefined;
    }
  }
  return tests;
}

function compileArray(def: Def, passes: (value: unknown) => boolean): ValueCheck | undefined {
  if (!def.element) return undefined;
  const element = compileCheck(def.element);
  return (value) => {
    if (!Array.isArray(value)) return REFUSED;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const checked = element(item);
      if (checked === REFUSED) return REFUSED;
      if (checked !== item) value[i] = checked;
    }
    return passes(value) ? value : REFUSED;
  };
}

interface Field {
  readonly key: string;
  readonly check: ValueCheck;
  /** What an absent key means: refused, left absent, or the default written in. */
  readonly whenAbsent: 'refuse' | 'leave' | 'check';
}

function compileObject(def: Def): ValueCheck | undefined {
  if (def.catchall !== undefined || !def.shape) return undefined;
  const fields: Field[] = [];
  for (const [key, schema] of Object.entries(def.shape)) {
    // zod asks `key in value`: a name every object inherits (`constructor`) is always present to it.
    if (key in Object.prototype) return undefined;
    const type = defOf(schema).type;
    const optin = schema._zod.optin;
    const whenAbsent =
      optin === undefined
        ? 'refuse'
        : type === 'optional' && optin === 'optional'
          ? 'leave'
          : type === 'default'
            ? 'check'
            : undefined;
    // Another kind of optional field (a pipe, a nullable default): zod decides.
    if (whenAbsent === undefined) return undefined;
    fields.push({ key, check: compileCheck(schema), whenAbsent });
  }
  const known = new Set(fields.map((field) => field.key));
  return (value) => {
    if (!isJsonObject(value)) return REFUSED;
    const record = value as Record<string, unknown>;
    // A key the schema does not name: zod would drop it; refused here so the copy is zod's.
    for (const key in record) if (!known.has(key)) return REFUSED;
    for (const field of fields) {
      // JSON has no undefined, and no field is named like an inherited member: undefined is absent.
      const member = record[field.key];
      if (member === undefined) {
        if (field.whenAbsent === 'refuse') return REFUSED;
        if (field.whenAbsent === 'leave') continue;
      }
      const checked = field.check(member);
      if (checked === REFUSED) return REFUSED;
      if (checked !== member) record[field.key] = checked;
    }
    return value;
  };
}

function compileRecord(def: Def): ValueCheck | undefined {
  if (!def.keyType || !def.valueType || def.mode === 'loose') return undefined;
  const keyDef = defOf(def.keyType);
  // Plain string keys only (every JSON key is a string): an enumerated or checked key type is zod's.
  if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0 || keyDef.check !== undefined)
    return undefined;
  if (keyDef.coerce || def.keyType._zod.values) return undefined;
  const member = compileCheck(def.valueType);
  return (value) => {
    if (!isJsonObject(value)) return REFUSED;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      // zod leaves `__proto__` out of its copy: refused here so the copy is zod's.
      if (key === '__proto__') return REFUSED;
      const item = record[key];
      const checked = member(item);
      if (checked === REFUSED) return REFUSED;
      if (checked !== item) record[key] = checked;
    }
    return value;
  };
}

/** An object as `JSON.parse` makes one (zod's `isObject`, and a plain prototype). */
function isJsonObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

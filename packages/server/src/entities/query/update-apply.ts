/**
 * Applies a parsed update ({@link UpdateOps}) to one record, MongoDB-style, copy-on-write: the
 * result shares untouched parts with the input, and the input is never changed.
 */

import { elementMatches } from "./evaluate.js";
import { isIndexSegment, queryError, show } from "./names.js";
import type { FieldPath, Json } from "./types.js";
import type { UpdateOp, UpdateOps } from "./update-ops.js";
import { compareScalars, compareStrings, jsonEquals, MISSING, resolvePath } from "./values.js";

/** How far past an array's end `$set` may write (MongoDB pads the gap with nulls). */
const MAX_PADDING = 1000;

type Container = Record<string, unknown> | unknown[];

/**
 * The record after `ops`, as a new object. `now` is the time `$currentDate` writes (ISO-8601
 * UTC). Built-in fields cannot be targets (the parser refused them).
 *
 * @throws FnbaseError `INVALID_QUERY` when an operator meets a value it cannot work on (`$inc`
 * on a string, `$push` on a non-array, a field under a number); the caller applies updates in a
 * transaction so nothing is half-written
 * @example
 * applyUpdate({ id: "r1", n: 1 }, parseUpdate({ $inc: { n: 2 } }), new Date()); // { id: "r1", n: 3 }
 */
export function applyUpdate(
  record: Record<string, unknown>,
  ops: UpdateOps,
  now: Date,
): Record<string, unknown> {
  const root: Record<string, unknown> = { ...record };
  const fresh = new Set<object>([root]);
  for (const op of ops.ops) apply(root, fresh, op, now);
  return root;
}

function apply(root: Record<string, unknown>, fresh: Set<object>, op: UpdateOp, now: Date): void {
  if (op.op === "unset") {
    unset(root, fresh, op.path);
    return;
  }
  const current = resolvePath(root, op.path);
  const next = newValue(op, current, now);
  if (next === KEEP) return;
  if (op.op === "rename") {
    unset(root, fresh, op.path);
    write(root, fresh, op.to, next, op.op);
  } else {
    write(root, fresh, op.path, next, op.op);
  }
}

/** Marks "leave the field as it is". */
const KEEP: unique symbol = Symbol("keep");

/** The field's new value under `op`, or {@link KEEP}. */
function newValue(op: Exclude<UpdateOp, { op: "unset" }>, current: unknown, now: Date): unknown {
  const fail = (what: string) =>
    queryError("update", `cannot $${op.op} ${show(op.path.join("."))}: ${what}`);
  switch (op.op) {
    case "set":
      return op.value;
    case "currentDate":
      return now.toISOString();
    case "rename":
      return current === MISSING ? KEEP : current;
    case "inc":
    case "mul": {
      if (current === MISSING) return op.op === "inc" ? op.by : 0;
      if (typeof current !== "number") throw fail(`it holds ${describe(current)}`);
      const result = op.op === "inc" ? current + op.by : current * op.by;
      if (!Number.isFinite(result)) throw fail("the result is not a finite number");
      return result;
    }
    case "min":
    case "max": {
      if (current === MISSING) return op.value;
      const c = compareTyped(op.value, current);
      return (op.op === "min" ? c < 0 : c > 0) ? op.value : KEEP;
    }
    case "push":
    case "addToSet": {
      if (current !== MISSING && !Array.isArray(current))
        throw fail(`it holds ${describe(current)}`);
      const next = current === MISSING ? [] : [...(current as unknown[])];
      for (const v of op.values) {
        if (op.op === "push" || !next.some((e) => jsonEquals(e, v))) next.push(v);
      }
      return next;
    }
    case "pull":
      if (current === MISSING) return KEEP;
      if (!Array.isArray(current)) throw fail(`it holds ${describe(current)}`);
      return current.filter((e) => !elementMatches(e, op.element));
  }
}

function write(
  root: Record<string, unknown>,
  fresh: Set<object>,
  path: FieldPath,
  value: unknown,
  op: string,
): void {
  const { parent, key } = parentOf(root, fresh, path, op, true)!;
  put(parent, key, value);
}

/** MongoDB's order across types for `$min`/`$max`: null < numbers < strings < objects < arrays < booleans. */
function compareTyped(a: Json, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (a === null) return 0;
  return typeof a === "object" ? 0 : compareScalars(b, a) * -1;
}

function rank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === "number") return 1;
  if (typeof v === "string") return 2;
  if (Array.isArray(v)) return 4;
  if (typeof v === "object") return 3;
  return 5;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function unset(root: Record<string, unknown>, fresh: Set<object>, path: FieldPath): void {
  if (resolvePath(root, path) === MISSING) return;
  const { parent, key } = parentOf(root, fresh, path, "unset", false)!;
  // MongoDB keeps array positions: an unset element becomes null.
  if (Array.isArray(parent)) parent[Number(key)] = null;
  else delete parent[key];
}

/**
 * The container that holds the last segment of `path`, made writable (cloned once per update)
 * along the way. With `create`, missing objects on the way are created.
 */
function parentOf(
  root: Record<string, unknown>,
  fresh: Set<object>,
  path: FieldPath,
  op: string,
  create: boolean,
): { parent: Container; key: string } | undefined {
  let cur: Container = root;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i]!;
    let child = read(cur, segment, op, path);
    if (child === MISSING || child === undefined) {
      if (!create) return undefined;
      child = {};
    } else if (typeof child !== "object" || child === null) {
      throw queryError(
        "update",
        `cannot $${op} ${show(path.join("."))}: ${show(path.slice(0, i + 1).join("."))} holds ${describe(child)}`,
      );
    } else if (!fresh.has(child)) {
      child = Array.isArray(child) ? [...child] : { ...(child as Record<string, unknown>) };
    }
    fresh.add(child as object);
    put(cur, segment, child);
    cur = child as Container;
  }
  const key = path[path.length - 1]!;
  if (Array.isArray(cur)) read(cur, key, op, path);
  return { parent: cur, key };
}

function read(cur: Container, segment: string, op: string, path: FieldPath): unknown {
  if (!Array.isArray(cur)) return Object.hasOwn(cur, segment) ? cur[segment] : MISSING;
  if (!isIndexSegment(segment) || Number(segment) > cur.length + MAX_PADDING) {
    throw queryError(
      "update",
      `cannot $${op} ${show(path.join("."))}: ${show(segment)} is not a usable index of an array`,
    );
  }
  return Number(segment) < cur.length ? cur[Number(segment)] : MISSING;
}

/** Writes an own property (safe for keys such as `__proto__`) or an array element (padding with null). */
function put(container: Container, key: string, value: unknown): void {
  if (Array.isArray(container)) {
    const i = Number(key);
    while (container.length < i) container.push(null);
    container[i] = value;
    return;
  }
  Object.defineProperty(container, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

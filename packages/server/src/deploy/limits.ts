import { FnbaseError } from "@fnbase/shared";

/** Smallest and largest `memory_mb` a function may set. */
export const MEMORY_MB_RANGE = [128, 8192] as const;

/**
 * A deploy body's `memory_mb`: the memory limit of the function's instances in MB, a whole
 * number in {@link MEMORY_MB_RANGE}; null (absent or null) means the server's default
 * (`memoryLimitMb`). Throws `BAD_REQUEST` naming the value otherwise.
 */
export function parseMemoryMb(name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const [min, max] = MEMORY_MB_RANGE;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Cannot deploy "${name}": "memory_mb" must be a whole number in [${min}, ${max}]: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

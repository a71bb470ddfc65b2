import { InvalidArgumentError } from "commander";

/** A commander parser for a non-negative integer option. */
export function intOption(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`${what} must be a whole number: ${value}`);
    }
    return n;
  };
}

/** A commander parser for a port (0-65535; 0 picks a free one). */
export const portOption = (value: string): number => {
  const n = intOption("The port")(value);
  if (n > 65535) throw new InvalidArgumentError(`The port must be 0-65535: ${value}`);
  return n;
};

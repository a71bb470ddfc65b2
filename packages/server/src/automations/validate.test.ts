import { FnbaseError } from "@fnbase/shared";
import { describe, expect, it } from "vitest";
import { validateAutomation, validateAutomations } from "./validate.js";

const NOW = Date.parse("2026-12-01T00:00:00Z");
const o = { minIntervalMs: 300_000, now: NOW };
const v = (raw: unknown) => validateAutomation("report", raw, o);
const err = (raw: unknown): { message: string; field?: string } => {
  try {
    v(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(FnbaseError);
    const f = e as FnbaseError;
    expect(f.code).toBe("INVALID_AUTOMATION");
    return { message: f.message, ...(f.field === undefined ? {} : { field: f.field }) };
  }
  throw new Error(`Accepted: ${JSON.stringify(raw)}`);
};

const cron = {
  name: "nightly",
  type: "scheduled",
  schedule_mode: "recurring",
  schedule_type: "cron",
};

describe("validateAutomation normalises as the Base44 CLI's zod schema does", () => {
  it.each([
    [
      "entity: is_active filled in, unknown keys dropped, keys in the CLI's order",
      { event_types: ["create"], entity_name: "Task", type: "entity", name: "n", extra: 1 },
      { name: "n", is_active: true, type: "entity", entity_name: "Task", event_types: ["create"] },
    ],
    [
      "one-time: optional fields kept as sent, null included",
      {
        name: "once",
        type: "scheduled",
        schedule_mode: "one-time",
        one_time_date: "2027-01-01T09:00:00Z",
        description: null,
        function_args: { a: 1 },
        is_active: false,
        cron_expression: "ignored",
      },
      {
        name: "once",
        description: null,
        function_args: { a: 1 },
        is_active: false,
        type: "scheduled",
        schedule_mode: "one-time",
        one_time_date: "2027-01-01T09:00:00Z",
      },
    ],
    [
      "cron: ends_type defaults to never",
      { ...cron, cron_expression: "0 9 * * 1-5" },
      {
        name: "nightly",
        is_active: true,
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "cron",
        cron_expression: "0 9 * * 1-5",
        ends_type: "never",
      },
    ],
    [
      "simple: every field in order",
      {
        name: "s",
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        ends_after_count: 3,
        ends_type: "after",
        repeat_on_days: [1, 3],
        start_time: "09:30",
        repeat_interval: 2,
        repeat_unit: "weeks",
      },
      {
        name: "s",
        is_active: true,
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        repeat_unit: "weeks",
        repeat_interval: 2,
        start_time: "09:30",
        repeat_on_days: [1, 3],
        ends_type: "after",
        ends_after_count: 3,
      },
    ],
    [
      "connector: kept, nested conditions normalised",
      {
        name: "c",
        type: "connector",
        integration_type: "slack",
        events: [],
        trigger_conditions: {
          conditions: [
            { field: "a", operator: "equals", value: 1, junk: true },
            { logic: "or", conditions: [{ field: "b", operator: "custom_op" }] },
          ],
        },
      },
      {
        name: "c",
        is_active: true,
        type: "connector",
        integration_type: "slack",
        events: [],
        trigger_conditions: {
          conditions: [
            { field: "a", operator: "equals", value: 1 },
            { logic: "or", conditions: [{ field: "b", operator: "custom_op" }] },
          ],
        },
      },
    ],
  ])("%s", (_, raw, expected) => {
    const out = v(raw);
    expect(out).toEqual(expected);
    expect(Object.keys(out)).toEqual(Object.keys(expected));
  });
});

describe("validateAutomation refuses with a 400 naming the automation and the field", () => {
  it.each([
    ["not an object", [], "#0", "automation", /must be an object, not an array/],
    ["no name", { type: "entity" }, "#0", "automation.name", /name: is required/],
    ["unknown type", { name: "x", type: "webhook" }, '"x"', "automation.type", /"webhook"/],
    [
      "no event types",
      { name: "x", type: "entity", entity_name: "T", event_types: [] },
      '"x"',
      "automation.event_types",
      /at least 1 item/,
    ],
    [
      "a bad event type",
      { name: "x", type: "entity", entity_name: "T", event_types: ["create", "upsert"] },
      '"x"',
      "automation.event_types[1]",
      /"upsert"/,
    ],
    [
      "a cron too often",
      { ...cron, cron_expression: "* * * * *" },
      '"nightly"',
      "automation.cron_expression",
      /every 1 minute, more often than every 5 minutes/,
    ],
    [
      "minutes 0 and 3",
      { ...cron, cron_expression: "0,3 * * * *" },
      '"nightly"',
      "automation.cron_expression",
      /every 3 minutes/,
    ],
    [
      "six fields",
      { ...cron, cron_expression: "0 0 9 * * *" },
      '"nightly"',
      "automation.cron_expression",
      /5-field/,
    ],
    [
      "never runs",
      { ...cron, cron_expression: "0 0 31 2 *" },
      '"nightly"',
      "automation.cron_expression",
      /never runs/,
    ],
    [
      "simple every 2 minutes",
      {
        name: "s",
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        repeat_unit: "minutes",
        repeat_interval: 2,
      },
      '"s"',
      "automation.repeat_interval",
      /every 2 minutes/,
    ],
    [
      "a bad start time",
      {
        name: "s",
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        repeat_unit: "days",
        start_time: "9am",
      },
      '"s"',
      "automation.start_time",
      /"9am"/,
    ],
    [
      "a weekday of 7",
      {
        name: "s",
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "simple",
        repeat_unit: "weeks",
        repeat_on_days: [7],
      },
      '"s"',
      "automation.repeat_on_days[0]",
      /from 0 to 6: 7/,
    ],
    [
      "ends on without a date",
      { ...cron, cron_expression: "0 9 * * *", ends_type: "on" },
      '"nightly"',
      "automation.ends_on_date",
      /ends_type is "on"/,
    ],
    [
      "a one-time date that is not a date",
      { name: "o", type: "scheduled", schedule_mode: "one-time", one_time_date: "tomorrow" },
      '"o"',
      "automation.one_time_date",
      /"tomorrow"/,
    ],
    [
      "February 30",
      {
        name: "o",
        type: "scheduled",
        schedule_mode: "one-time",
        one_time_date: "2027-02-30T00:00:00Z",
      },
      '"o"',
      "automation.one_time_date",
      /2027-02-30/,
    ],
    [
      "function_args an array",
      { name: "x", type: "entity", entity_name: "T", event_types: ["create"], function_args: [] },
      '"x"',
      "automation.function_args",
      /must be an object, not an array/,
    ],
  ])("%s", (_, raw, who, field, message) => {
    const e = err(raw);
    expect(e.message).toContain(`Invalid automation ${who} of "report"`);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it("a server allowing 1 minute takes a cron every minute", () => {
    expect(
      validateAutomation(
        "f",
        { ...cron, cron_expression: "* * * * *" },
        { minIntervalMs: 60_000, now: NOW },
      ),
    ).toMatchObject({ cron_expression: "* * * * *" });
  });

  it("duplicate names in one function are refused, with the index", () => {
    const e = (() => {
      try {
        validateAutomations(
          "f",
          [
            { name: "a", type: "entity", entity_name: "T", event_types: ["create"] },
            { name: "a", type: "entity", entity_name: "T", event_types: ["delete"] },
          ],
          o,
        );
      } catch (x) {
        return x as FnbaseError;
      }
      throw new Error("accepted");
    })();
    expect(e.message).toBe('Invalid automation "a" of "f": the name appears more than once');
    expect(e.field).toBe("automations[1].name");
  });

  it("absent or null automations are undefined (kept); a non-array is refused", () => {
    expect(validateAutomations("f", undefined, o)).toBeUndefined();
    expect(validateAutomations("f", null, o)).toBeUndefined();
    expect(validateAutomations("f", [], o)).toEqual([]);
    expect(() => validateAutomations("f", {}, o)).toThrow(/must be an array/);
  });
});

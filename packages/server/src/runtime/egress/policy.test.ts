import { describe, expect, it } from "vitest";
import { decide, type EgressRules, nonPublicKind, parseAllowEntry } from "./policy.js";

const none: EgressRules = { allow: [], endpoints: [] };

describe("nonPublicKind()", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared (carrier-grade NAT)"],
    ["169.254.169.254", "link-local"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:0:127.0.0.1", "IPv4-translated"],
    ["::ffff:0:7f00:1", "IPv4-translated"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["64:ff9b::7f00:1", "NAT64"],
    ["2002:7f00:1::1", "6to4"],
    ["fd00::1", "private (unique local)"],
    ["fe80::1", "link-local"],
    ["ff02::1", "multicast"],
    ["8.8.8.8", undefined],
    ["172.32.0.1", undefined],
    ["203.0.113.80", undefined],
    ["2606:4700::1111", undefined],
  ])("%s: %s", (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });
});

describe("parseAllowEntry()", () => {
  it.each([
    ["db.internal", { name: "db.internal" }],
    ["DB.Internal:5432", { name: "db.internal", port: 5432 }],
    ["*.corp.example", { name: "*.corp.example" }],
    ["localhost:8080", { name: "localhost", port: 8080 }],
  ])("%s", (raw, expected) => {
    expect(parseAllowEntry(raw)).toEqual(expected);
  });

  it.each([
    ["10.0.0.5", "10.0.0.5", "10.0.0.6", undefined],
    ["10.0.0.0/24:5432", "10.0.0.200", "10.0.1.1", 5432],
    ["[fd00::5]:443", "fd00::5", "fd00::6", 443],
    ["fd00::/64", "fd00::abcd", "fd01::1", undefined],
  ])("%s is a range", (raw, inside, outside, port) => {
    const e = parseAllowEntry(raw);
    expect(e.port).toBe(port);
    const type = inside.includes(":") ? "ipv6" : "ipv4";
    expect(e.range?.check(inside, type)).toBe(true);
    expect(e.range?.check(outside, type)).toBe(false);
  });

  it.each([
    "",
    "not a host",
    "a..b",
    "host:0",
    "host:70000",
    "10.0.0.0/33",
    "10.0.0.0/8/8",
    "host/8",
    "*",
    "http://x",
  ])("refuses %j", (raw) => {
    expect(() => parseAllowEntry(raw)).toThrow(/Invalid egress_allow entry/);
  });
});

describe("decide()", () => {
  it("allows public addresses and refuses the rest, saying why", () => {
    expect(decide("example.com", "93.184.215.14", 443, none)).toEqual({ ok: true });
    expect(decide("localhost", "127.0.0.1", 80, none)).toEqual({
      ok: false,
      why: "127.0.0.1 is a loopback address",
    });
    expect(decide("metadata", "169.254.169.254", 80, none)).toEqual({
      ok: false,
      why: "169.254.169.254 is a link-local address",
    });
  });

  it("allows what the app names, by name (any address), address or range, and port", () => {
    const rules: EgressRules = {
      allow: [parseAllowEntry("db.internal:5432"), parseAllowEntry("10.9.0.0/16")],
      endpoints: [],
    };
    expect(decide("db.internal", "127.0.0.1", 5432, rules).ok).toBe(true);
    expect(decide("DB.INTERNAL.", "10.0.0.1", 5432, rules).ok).toBe(true);
    expect(decide("db.internal", "10.0.0.1", 22, rules).ok).toBe(false);
    expect(decide("other.internal", "10.9.3.4", 22, rules).ok).toBe(true);
    expect(decide("other.internal", "10.8.3.4", 22, rules).ok).toBe(false);
  });

  it("allows the server's own endpoints on their port only", () => {
    const rules: EgressRules = {
      allow: [],
      endpoints: [
        { address: "127.0.0.1", port: 4400 },
        { host: "registry.internal", port: 4873 },
      ],
    };
    expect(decide("localhost", "127.0.0.1", 4400, rules).ok).toBe(true);
    expect(decide("127.0.0.1", "::ffff:127.0.0.1", 4400, rules).ok).toBe(true);
    expect(decide("localhost", "127.0.0.1", 4401, rules).ok).toBe(false);
    expect(decide("registry.internal", "10.0.0.3", 4873, rules).ok).toBe(true);
  });
});

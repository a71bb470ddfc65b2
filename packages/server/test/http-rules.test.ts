/**
 * http_rules.js (@fnbase/runtime), the one definition of a request the front and Node share:
 * its tables against node:http and the error module, and its functions case by case.
 */
import { METHODS as NODE_METHODS } from "node:http";
import {
  checkHead,
  ENTITY_BODY_BYTES,
  functionAnswerHeaders,
  Head,
  isDataRoute,
  isRealtimeTarget,
  isReservedCookie,
  METHODS,
  Refusal,
  routeBodyLimit,
  SMALL_BODY_BYTES,
  withCors,
} from "@fnbase/runtime";
import { ERROR_STATUS } from "@fnbase/shared";
import { describe, expect, it } from "vitest";

type Fields = [string, string][];
const H: Fields = [["host", "h"]];

describe("checkHead", () => {
  it("serves node:http's methods, without CONNECT, and nothing else", () => {
    expect(METHODS.every((m) => NODE_METHODS.includes(m))).toBe(true);
    expect(NODE_METHODS.filter((m) => !METHODS.includes(m))).toEqual(["CONNECT"]);
  });

  const refused: [string, string, string, number, Fields, number, string][] = [
    ["lower-case method", "get", "/", 1, H, 501, "NOT_IMPLEMENTED"],
    ["CONNECT", "CONNECT", "h:443", 1, H, 501, "NOT_IMPLEMENTED"],
    ["relative target", "GET", "a", 1, H, 400, "BAD_REQUEST"],
    ["fragment", "GET", "/a#b", 1, H, 400, "BAD_REQUEST"],
    ["userinfo", "GET", "http://u@h/", 1, H, 400, "BAD_REQUEST"],
    ["empty authority", "GET", "http:///a", 1, H, 400, "BAD_REQUEST"],
    ["* for GET", "GET", "*", 1, H, 400, "BAD_REQUEST"],
    ["no Host in 1.1", "GET", "/", 1, [], 400, "BAD_REQUEST"],
    ["two Hosts", "GET", "/", 1, [...H, ["host", "i"]], 400, "BAD_REQUEST"],
    ["Host with a path", "GET", "/", 1, [["host", "h/x"]], 400, "BAD_REQUEST"],
    ["Host with a bad port", "GET", "/", 1, [["host", "h:99999"]], 400, "BAD_REQUEST"],
    [
      "101 fields",
      "GET",
      "/",
      1,
      [...H, ...Array.from({ length: 101 }, (_, i): [string, string] => [`x-${i}`, "v"])],
      431,
      "HEADERS_TOO_LARGE",
    ],
    ["Content-Length +1", "POST", "/", 1, [...H, ["content-length", "+1"]], 400, "BAD_REQUEST"],
    [
      "two Content-Lengths",
      "POST",
      "/",
      1,
      [...H, ["content-length", "1"], ["content-length", "2"]],
      400,
      "BAD_REQUEST",
    ],
    ["gzip", "POST", "/", 1, [...H, ["transfer-encoding", "gzip"]], 501, "NOT_IMPLEMENTED"],
    [
      "chunked with a length",
      "POST",
      "/",
      1,
      [...H, ["transfer-encoding", "chunked"], ["content-length", "1"]],
      400,
      "BAD_REQUEST",
    ],
    [
      "chunked in 1.0",
      "POST",
      "/",
      0,
      [...H, ["transfer-encoding", "chunked"]],
      400,
      "BAD_REQUEST",
    ],
    ["an expectation", "POST", "/", 1, [...H, ["expect", "x"]], 417, "EXPECTATION_FAILED"],
  ];
  it.each(refused)("refuses %s", (_name, method, target, minor, fields, status, code) => {
    const r = checkHead(method, target, minor, fields.slice());
    expect(r).toBeInstanceOf(Refusal);
    expect([(r as Refusal).status, (r as Refusal).code]).toEqual([status, code]);
    // Every refusal is a code of the error module, with its status.
    expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS]).toBe(status);
  });

  it("takes 100 fields besides Host, framing and the front's channel", () => {
    const fields: Fields = [
      ...H,
      ["content-length", "0"],
      ["x-fnbase-front", "s"],
      ["x-fnbase-client-addr", "a"],
      ...Array.from({ length: 100 }, (_, i): [string, string] => [`x-${i}`, "v"]),
    ];
    expect(checkHead("POST", "/", 1, fields)).toBeInstanceOf(Head);
  });

  it("reduces an absolute-form target and takes its authority as the Host", () => {
    const fields: Fields = [["host", "other"]];
    const r = checkHead("GET", "http://a.test:8080?x=1", 1, fields) as Head;
    expect([r.target, r.host]).toEqual(["/?x=1", "a.test:8080"]);
    expect(fields).toEqual([["host", "a.test:8080"]]);
  });

  it("gives HTTP/1.0 without Host an empty one", () => {
    const fields: Fields = [];
    const r = checkHead("GET", "/", 0, fields) as Head;
    expect([r.host, r.keepAlive]).toEqual(["", false]);
    expect(fields).toEqual([["host", ""]]);
  });

  const contexts: [string, string, Fields, string | null][] = [
    ["nothing", "GET", H, "h\n\0\n\0\n\0"],
    [
      "an empty Authorization, not a missing one",
      "GET",
      [...H, ["authorization", ""]],
      "h\n\0\n\n\0",
    ],
    [
      "all four",
      "GET",
      [...H, ["x-app-id", "a"], ["authorization", "Bearer t"], ["origin", "https://o"]],
      "h\na\nBearer t\nhttps://o",
    ],
    [
      "a repeated Authorization",
      "GET",
      [...H, ["authorization", "a"], ["authorization", "b"]],
      null,
    ],
    ["a repeated X-App-Id", "GET", [...H, ["x-app-id", "a"], ["x-app-id", "a"]], null],
    ["a repeated Origin", "GET", [...H, ["origin", "o"], ["origin", "o"]], null],
    [
      "a preflight",
      "OPTIONS",
      [...H, ["origin", "https://o"], ["access-control-request-method", "POST"]],
      null,
    ],
    [
      "an OPTIONS that is no preflight",
      "OPTIONS",
      [...H, ["origin", "https://o"]],
      "h\n\0\n\0\nhttps://o",
    ],
  ];
  it.each(contexts)("keys a decision by the context of %s", (_name, method, fields, context) => {
    expect((checkHead(method, "/", 1, fields.slice()) as Head).context).toBe(context);
  });

  it("calls a GET with Connection: upgrade and Upgrade: websocket an upgrade, and nothing else", () => {
    const up = (method: string, fields: Fields, minor = 1) =>
      (checkHead(method, "/", minor, [...H, ...fields]) as Head).upgrade;
    const ws: Fields = [
      ["connection", "keep-alive, Upgrade"],
      ["upgrade", "WebSocket"],
    ];
    expect(up("GET", ws)).toBe(true);
    expect(up("POST", ws)).toBe(false);
    expect(up("GET", ws, 0)).toBe(false);
    expect(up("GET", [["upgrade", "websocket"]])).toBe(false);
    expect(
      up("GET", [
        ["connection", "upgrade"],
        ["upgrade", "h2c"],
      ]),
    ).toBe(false);
    expect(up("GET", [...ws, ["content-length", "1"]])).toBe(false);
  });
});

describe("routeBodyLimit", () => {
  const upload = 20 * 1024 * 1024;
  const files = 50 * 1024 * 1024;
  const cases: [string, number][] = [
    ["/api/apps/a/auth/login", SMALL_BODY_BYTES],
    ["/api/apps", SMALL_BODY_BYTES],
    ["/api/apps/a/secrets", SMALL_BODY_BYTES],
    ["/api/apps/a/backend-functions/f", upload * 2 + 64 * 1024],
    ["/api/apps/a/entities/Task", ENTITY_BODY_BYTES],
    ["/api/apps/a/entities/Task/import", ENTITY_BODY_BYTES],
    ["/api/apps/a/entities?x=1", ENTITY_BODY_BYTES],
    ["/api/apps/a/auth/login?next=/api/apps/a/entities/", SMALL_BODY_BYTES],
    // Read as the API's router reads it: dot segments resolved, a disguise takes no more.
    ["/api/apps/a/backend-functions/../auth/login", SMALL_BODY_BYTES],
    ["/api/apps/a/backend-functions/%2e%2e/auth/login", SMALL_BODY_BYTES],
    ["/api/apps/a/auth/../backend-functions/f", upload * 2 + 64 * 1024],
    ["*", SMALL_BODY_BYTES],
    ["/api/apps/a/integration-endpoints/Core/UploadFile", files + 1024 * 1024],
    [
      "/api/apps/a/integration-endpoints/installable/P/integration-endpoints/E",
      files + 1024 * 1024,
    ],
  ];
  it.each(cases)("gives %s its limit", (path, limit) => {
    expect(routeBodyLimit(path, upload, files)).toBe(limit);
  });
});

describe("isDataRoute and isRealtimeTarget", () => {
  it.each([
    ["/api/apps/a/entities/Task", true],
    ["/api/apps/a/entities/Task/bulk?x=1", true],
    ["/api/apps/a/auth/login", true],
    ["/api/apps/a/integration-endpoints/Core/UploadFile", true],
    ["/api/apps/a/analytics/track/batch", true],
    ["/api/apps/a", false],
    ["/api/apps/a/secrets", false],
    ["/api/apps/a/backend-functions/f", false],
    ["/api/apps/a/entity-schemas", false],
    ["/api/workspace/api-keys", false],
    ["/api/apps/a/entitiesx", false],
  ])("isDataRoute(%s) is %s", (target, data) => {
    expect(isDataRoute(target)).toBe(data);
  });
  it("knows the realtime socket's path", () => {
    expect(isRealtimeTarget("/ws-user-apps/socket.io/?EIO=4&transport=websocket")).toBe(true);
    expect(isRealtimeTarget("/ws-user-apps/other")).toBe(false);
  });
});

describe("withCors", () => {
  const app: Fields = [
    ["access-control-allow-origin", "https://o"],
    ["vary", "Origin"],
  ];
  const cases: [string, Fields, Fields, Fields][] = [
    ["no app headers: the function's as they are", [["x", "1"]], [], [["x", "1"]]],
    [
      "a function's own CORS answer wins",
      [
        ["access-control-allow-origin", "https://fn"],
        ["access-control-allow-credentials", "true"],
      ],
      app,
      [
        ["access-control-allow-origin", "https://fn"],
        ["access-control-allow-credentials", "true"],
      ],
    ],
    [
      "the app's added, the function's other Access-Control-* kept, Vary joined",
      [
        ["access-control-allow-credentials", "true"],
        ["vary", "Accept-Encoding"],
      ],
      app,
      [
        ["access-control-allow-credentials", "true"],
        ["vary", "Accept-Encoding, Origin"],
        ["access-control-allow-origin", "https://o"],
      ],
    ],
    [
      "a Vary that names Origin already is kept",
      [["vary", "origin"]],
      app,
      [
        ["vary", "origin"],
        ["access-control-allow-origin", "https://o"],
      ],
    ],
  ];
  it.each(cases)("%s", (_name, fn, cors, out) => {
    expect(withCors(fn, cors)).toEqual(out);
  });
});

describe("cookies a function may not set (the dashboard's)", () => {
  it.each([
    ["fnbase_dashboard=abc; Path=/_/; HttpOnly", true],
    ["FNBASE_x=1", true],
    ["theirs=1; Path=/_/api/", true],
    ["theirs=1; path = /_", true],
    ["theirs=1; Path=/_other", false],
    ["theirs=1; Path=/", false],
    ["theirs=1; Path=/functions/_/", false],
    ["session=fnbase_dashboard", false],
  ])("%s: %s", (v, reserved) => {
    expect(isReservedCookie(v)).toBe(reserved);
  });

  it("drops them from a function's answer and keeps the rest", () => {
    const out = functionAnswerHeaders(
      [
        ["set-cookie", "fnbase_dashboard=tenant; Path=/_/"],
        ["set-cookie", "cart=1; Path=/"],
        ["content-type", "text/html"],
      ],
      [],
    );
    expect(out.filter(([k]) => k === "set-cookie")).toEqual([["set-cookie", "cart=1; Path=/"]]);
    expect(out).toContainEqual(["content-type", "text/html"]);
  });
});

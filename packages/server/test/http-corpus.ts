/**
 * A corpus of raw requests, valid and hostile, for the differential test (differential.test.ts):
 * generated from dimensions a request varies in (methods, targets, Host forms, auth forms,
 * X-App-Id and Origin forms, header counts and sizes, framing, line endings, versions, header
 * bytes, upgrades), each from one base request, plus the crossings that decide routing and
 * identity. `{USER}` in a value stands for a user token of the server the case is sent to.
 */

/** One raw request. */
export interface RawCase {
  name: string;
  method: string;
  target: string;
  /** `HTTP/1.1` unless said. */
  version?: string;
  headers: [string, string][];
  body?: string;
  /** Line ending of the request line and header lines (CRLF unless said). */
  eol?: string;
  /** The whole request as it is sent, when no line-by-line form can say it. */
  raw?: string;
}

/** The apps and what the corpus names in them (the test creates them with these ids and domains). */
export const APP = { alpha: "difalpha", beta: "difbeta" } as const;
export const ALPHA_HOST = "alpha.test";
export const BETA_HOSTS = ["beta.test", "localhost"];
export const OK_ORIGIN = "https://ok.example";
export const ADMIN = "b44k_test_admin_key_0123456789";

/** The bytes of `c` (a latin1 string), with `{USER}` replaced by `userToken`. */
export function bytesOf(c: RawCase, userToken: string): string {
  const fill = (s: string) => s.replaceAll("{USER}", userToken);
  if (c.raw !== undefined) return fill(c.raw);
  const eol = c.eol ?? "\r\n";
  let out = `${c.method} ${c.target} ${c.version ?? "HTTP/1.1"}${eol}`;
  for (const [k, v] of c.headers) out += `${k}: ${fill(v)}${eol}`;
  return `${out}${eol}${c.body ?? ""}`;
}

/**
 * A plain GET with the parts of `c` its decision context and route come from (target, version,
 * Host, X-App-Id, Authorization, Origin): sent first, it gives the front a decision for the
 * kind of request `c` is, if Node would give one.
 */
export function primeOf(c: RawCase): RawCase {
  const keep = new Set(["host", "x-app-id", "authorization", "origin"]);
  const version = c.version === "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1";
  const target = c.target.startsWith("/") || /^https?:\/\//i.test(c.target) ? c.target : "/";
  return {
    name: `prime ${c.name}`,
    method: "GET",
    target,
    version,
    headers: c.headers.filter(([k]) => keep.has(k.toLowerCase())),
  };
}

const WHO = `/api/apps/${APP.alpha}/functions/who`;
const base = (over: Partial<RawCase> & { name: string }): RawCase => ({
  method: "GET",
  target: WHO,
  headers: [["Host", ALPHA_HOST]],
  ...over,
});
const withHeaders = (name: string, headers: [string, string][], over: Partial<RawCase> = {}) =>
  base({ name, headers: [["Host", ALPHA_HOST], ...headers], ...over });
const fields = (n: number): [string, string][] =>
  Array.from({ length: n }, (_, i): [string, string] => [`x-f${i}`, "v"]);

function methods(): RawCase[] {
  const names = [
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "TRACE",
    "PURGE",
    "M-SEARCH",
    "QUERY",
    "get",
    "Get",
    "BREW",
    "PRI",
    "GET1",
  ];
  const out = names.map((m) => base({ name: `method ${m}`, method: m }));
  out.push(
    withHeaders("method POST with a body", [["content-length", "5"]], {
      method: "POST",
      body: "hello",
    }),
    base({ name: "method CONNECT", method: "CONNECT", target: "alpha.test:443" }),
  );
  return out;
}

function targets(): RawCase[] {
  const list = [
    `/api/apps/${APP.alpha}/functions/who/sub?x=1`,
    `/api/apps/${APP.alpha}/functions/who?`,
    `/api/apps/${APP.alpha}/functions/other`,
    `/api/apps/${APP.beta}/functions/who`,
    "/api/apps/nope/functions/who",
    `/api/apps/${APP.alpha}/functions/`,
    `/api/apps/${APP.alpha}/functions/nope`,
    "/api/functions/who",
    "/functions/who",
    "/functions/other",
    "/functions/who/../other",
    "/functions/%77ho",
    "/functions/who%2Fx",
    "/functions//who",
    "/functions/who#frag",
    "/functions/who?a=%zz",
    `http://${ALPHA_HOST}/functions/who`,
    "http://beta.test/functions/who?a=1",
    "HTTP://beta.test/functions/who",
    "https://beta.test/functions/who",
    "http://x?a=1",
    "http://beta.test",
    "http://u@beta.test/functions/who",
    "http:///functions/who",
    "*",
    "functions/who",
    "/health",
    "/api/apps",
  ];
  return list.map((target) => base({ name: `target ${target}`, target }));
}

function hosts(): RawCase[] {
  const forms: [string, [string, string][], string?][] = [
    ["alpha.test", [["Host", "alpha.test"]]],
    ["beta.test", [["Host", "beta.test"]]],
    ["localhost", [["Host", "localhost"]]],
    ["LOCALHOST", [["Host", "LOCALHOST"]]],
    ["empty", [["Host", ""]]],
    ["missing", []],
    ["missing, HTTP/1.0", [], "HTTP/1.0"],
    ["empty, HTTP/1.0", [["Host", ""]], "HTTP/1.0"],
    ["alpha.test:80", [["Host", "alpha.test:80"]]],
    ["beta.test:4400", [["Host", "beta.test:4400"]]],
    ["[::1]:4400", [["Host", "[::1]:4400"]]],
    ["127.0.0.1", [["Host", "127.0.0.1"]]],
    ["a b", [["Host", "a b"]]],
    ["u@x", [["Host", "u@x"]]],
    ["port 99999", [["Host", "alpha.test:99999"]]],
    ["x/y", [["Host", "x/y"]]],
    [
      "two",
      [
        ["Host", "alpha.test"],
        ["Host", "beta.test"],
      ],
    ],
  ];
  return forms.map(([name, headers, version]) =>
    base({ name: `host ${name}`, target: "/functions/who", headers, version }),
  );
}

const AUTH: [string, [string, string][]][] = [
  ["none", []],
  ["empty", [["Authorization", ""]]],
  ["Bearer alone", [["Authorization", "Bearer"]]],
  ["Bearer and a space", [["Authorization", "Bearer "]]],
  ["API key", [["Authorization", `Bearer ${ADMIN}`]]],
  ["user token", [["Authorization", "Bearer {USER}"]]],
  ["garbage token", [["Authorization", "Bearer garbage"]]],
  ["Basic", [["Authorization", "Basic Zm9vOmJhcg=="]]],
  ["lower-case bearer", [["Authorization", `bearer ${ADMIN}`]]],
  ["two spaces", [["Authorization", `Bearer  ${ADMIN}`]]],
  ["latin1 byte", [["Authorization", "Bearer caf\xe9"]]],
  [
    "twice, key first",
    [
      ["Authorization", `Bearer ${ADMIN}`],
      ["Authorization", "Bearer garbage"],
    ],
  ],
  [
    "twice, key last",
    [
      ["Authorization", "Bearer garbage"],
      ["Authorization", `Bearer ${ADMIN}`],
    ],
  ],
];

function auths(): RawCase[] {
  return AUTH.map(([name, headers]) =>
    base({
      name: `auth ${name}`,
      target: "/functions/who",
      headers: [["Host", ALPHA_HOST], ...headers],
    }),
  );
}

const APP_IDS: [string, [string, string][]][] = [
  ["none", []],
  ["alpha", [["X-App-Id", APP.alpha]]],
  ["beta", [["X-App-Id", APP.beta]]],
  ["empty", [["X-App-Id", ""]]],
  ["unknown", [["X-App-Id", "nope"]]],
  [
    "twice",
    [
      ["X-App-Id", APP.alpha],
      ["X-App-Id", APP.beta],
    ],
  ],
];

function appIds(): RawCase[] {
  const out: RawCase[] = [];
  for (const host of ["alpha.test", "beta.test", "unknown.test", ""]) {
    for (const [name, headers] of APP_IDS) {
      out.push(
        base({
          name: `x-app-id ${name}, host ${host || "empty"}`,
          target: "/api/functions/who",
          headers: [["Host", host], ...headers],
        }),
      );
    }
  }
  return out;
}

function origins(): RawCase[] {
  const forms: [string, [string, string][], string?][] = [
    ["allowed", [["Origin", OK_ORIGIN]]],
    ["not allowed", [["Origin", "https://evil.example"]]],
    ["empty", [["Origin", ""]]],
    [
      "twice",
      [
        ["Origin", OK_ORIGIN],
        ["Origin", "https://evil.example"],
      ],
    ],
    [
      "preflight, allowed",
      [
        ["Origin", OK_ORIGIN],
        ["Access-Control-Request-Method", "POST"],
      ],
      "OPTIONS",
    ],
    [
      "preflight, not allowed",
      [
        ["Origin", "https://evil.example"],
        ["Access-Control-Request-Method", "POST"],
      ],
      "OPTIONS",
    ],
    ["OPTIONS without preflight headers", [["Origin", OK_ORIGIN]], "OPTIONS"],
  ];
  return forms.map(([name, headers, method]) =>
    withHeaders(`origin ${name}`, headers, { method: method ?? "GET" }),
  );
}

function counts(): RawCase[] {
  return [0, 50, 98, 99, 100, 101, 127, 252].map((n) =>
    withHeaders(`${n} more header fields`, fields(n)),
  );
}

function sizes(): RawCase[] {
  return [1, 8, 16, 20, 31, 33, 63, 70].map((kib) =>
    withHeaders(`a header of ${kib} KiB`, [["x-big", "a".repeat(kib * 1024)]]),
  );
}

function framing(): RawCase[] {
  const post = (name: string, headers: [string, string][], body: string, version?: string) =>
    withHeaders(`framing ${name}`, headers, { method: "POST", body, version });
  return [
    post("Content-Length 0", [["content-length", "0"]], ""),
    post("Content-Length 5", [["content-length", "5"]], "hello"),
    post("chunked", [["transfer-encoding", "chunked"]], "5\r\nhello\r\n0\r\n\r\n"),
    post(
      "chunked with an extension",
      [["transfer-encoding", "chunked"]],
      "5;x=1\r\nhello\r\n0\r\n\r\n",
    ),
    post(
      "chunked with a trailer",
      [["transfer-encoding", "chunked"]],
      "5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n",
    ),
    post(
      "chunked with a request line as trailer",
      [["transfer-encoding", "chunked"]],
      `5\r\nhello\r\n0\r\nGET ${WHO} HTTP/1.1\r\n\r\n`,
    ),
    post("chunked with a bad size", [["transfer-encoding", "chunked"]], "zz\r\nhello\r\n0\r\n\r\n"),
    post(
      "chunked, chunk longer than its size",
      [["transfer-encoding", "chunked"]],
      "2\r\nhello\r\n0\r\n\r\n",
    ),
    post(
      "Content-Length and chunked",
      [
        ["content-length", "5"],
        ["transfer-encoding", "chunked"],
      ],
      "0\r\n\r\n",
    ),
    post("Transfer-Encoding gzip, chunked", [["transfer-encoding", "gzip, chunked"]], "0\r\n\r\n"),
    post(
      "chunked twice",
      [
        ["transfer-encoding", "chunked"],
        ["transfer-encoding", "chunked"],
      ],
      "0\r\n\r\n",
    ),
    post(
      "Content-Length twice, same",
      [
        ["content-length", "5"],
        ["content-length", "5"],
      ],
      "hello",
    ),
    post(
      "Content-Length twice, different",
      [
        ["content-length", "5"],
        ["content-length", "6"],
      ],
      "hello!",
    ),
    post("Content-Length +5", [["content-length", "+5"]], "hello"),
    post("Content-Length 5, 5", [["content-length", "5, 5"]], "hello"),
    post("Content-Length -1", [["content-length", "-1"]], ""),
    post("chunked in HTTP/1.0", [["transfer-encoding", "chunked"]], "0\r\n\r\n", "HTTP/1.0"),
    post(
      "Expect: 100-continue",
      [
        ["expect", "100-continue"],
        ["content-length", "5"],
      ],
      "hello",
    ),
    post(
      "Expect: something",
      [
        ["expect", "something"],
        ["content-length", "0"],
      ],
      "",
    ),
  ];
}

function lines(): RawCase[] {
  const r = (name: string, raw: string): RawCase => ({
    name: `lines ${name}`,
    method: "GET",
    target: WHO,
    headers: [["Host", ALPHA_HOST]],
    raw,
  });
  return [
    base({ name: "lines all bare LF", eol: "\n" }),
    r("one bare LF", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\nx-a: 1\r\n\r\n`),
    r("bare LF at the end", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\n\n`),
    r("bare CR", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\rx-a: 1\r\n\r\n`),
    r("empty lines first", `\r\n\r\nGET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\n\r\n`),
    r("folded header", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\nx-a: 1\r\n  2\r\n\r\n`),
    r("space before colon", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\nx-a : 1\r\n\r\n`),
    r("control character", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\nx-a: 1\x012\r\n\r\n`),
    r("DEL", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\nx-a: 1\x7f2\r\n\r\n`),
    r("tabs around a value", `GET ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\nx-a:\t 1 \t\r\n\r\n`),
    r("two spaces after the method", `GET  ${WHO} HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\n\r\n`),
    r("a space in the target", `GET /functions/w ho HTTP/1.1\r\nHost: ${ALPHA_HOST}\r\n\r\n`),
    r("no version", `GET ${WHO}\r\nHost: ${ALPHA_HOST}\r\n\r\n`),
  ];
}

function versions(): RawCase[] {
  return ["HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "http/1.1"].map((version) =>
    base({ name: `version ${version}`, version }),
  );
}

function bytes(): RawCase[] {
  return [
    withHeaders("bytes latin1 value", [["x-l", "caf\xe9"]]),
    withHeaders("bytes UTF-8 value", [["x-l", "caf\xc3\xa9"]]),
    withHeaders("bytes 0xFF value", [["x-l", "\xff\xfe"]]),
    withHeaders("bytes NUL", [["x-l", "a\x00b"]]),
    base({ name: "bytes non-ASCII target", target: `${WHO}/caf\xe9` }),
  ];
}

function upgrades(): RawCase[] {
  const ws: [string, string][] = [
    ["Connection", "Upgrade"],
    ["Upgrade", "websocket"],
    ["Sec-WebSocket-Version", "13"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
  ];
  return [
    withHeaders("upgrade WebSocket", ws),
    withHeaders("upgrade WebSocket without a key", ws.slice(0, 2)),
    withHeaders("upgrade WebSocket by POST", [...ws, ["content-length", "0"]], { method: "POST" }),
    withHeaders("upgrade h2c", [
      ["Connection", "Upgrade, HTTP2-Settings"],
      ["Upgrade", "h2c"],
      ["HTTP2-Settings", "AAMAAABkAAQAAP__"],
    ]),
    withHeaders("upgrade without Connection", [["Upgrade", "websocket"]]),
    withHeaders("Connection: upgrade without Upgrade", [["Connection", "upgrade"]]),
  ];
}

/** Host × Authorization × route: where routing and identity are decided. */
function crossings(): RawCase[] {
  const out: RawCase[] = [];
  const hostForms: [string, [string, string][], string?][] = [
    ["alpha.test", [["Host", "alpha.test"]]],
    ["beta.test", [["Host", "beta.test"]]],
    ["localhost", [["Host", "localhost"]]],
    ["empty", [["Host", ""]]],
    ["missing (1.0)", [], "HTTP/1.0"],
  ];
  const authForms = AUTH.filter(([name]) =>
    ["none", "empty", "API key", "user token", "garbage token"].includes(name),
  );
  for (const target of [
    "/functions/who",
    "/api/functions/other",
    `/api/apps/${APP.beta}/functions/who`,
  ]) {
    for (const [hostName, hostHeaders, version] of hostForms) {
      for (const [authName, authHeaders] of authForms) {
        out.push({
          name: `cross ${target}, host ${hostName}, auth ${authName}`,
          method: "GET",
          target,
          version,
          headers: [...hostHeaders, ...authHeaders],
        });
      }
    }
  }
  return out;
}

/** Every case, named uniquely. */
export function corpus(): RawCase[] {
  const all = [
    ...methods(),
    ...targets(),
    ...hosts(),
    ...auths(),
    ...appIds(),
    ...origins(),
    ...counts(),
    ...sizes(),
    ...framing(),
    ...lines(),
    ...versions(),
    ...bytes(),
    ...upgrades(),
    ...crossings(),
  ];
  const names = new Set(all.map((c) => c.name));
  if (names.size !== all.length) throw new Error("corpus: two cases share a name");
  return all;
}

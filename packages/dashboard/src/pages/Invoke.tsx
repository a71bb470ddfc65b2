import {
  Anchor,
  Autocomplete,
  Badge,
  Button,
  FileInput,
  Group,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link, useSearch } from "wouter";
import { api, encodePath, relayFetch } from "../api/client";
import { useFunctions } from "../api/hooks";
import type { SessionInfo } from "../api/session";
import type { User } from "../api/types";
import { ErrorAlert } from "../components/ErrorAlert";
import { bytes } from "../components/format";
import { PageHeader } from "../components/PageHeader";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** Most of a body the page keeps (the rest is counted, not shown). */
const MAX_SHOWN = 1024 * 1024;

interface Result {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** Milliseconds from sending to the answer's head, and to its end. */
  headMs: number;
  doneMs: number | null;
  body: string;
  received: number;
  requestId: string | null;
  sentAt: number;
}

/** `Name: value` lines into pairs; a line without a colon is an error. */
function parseHeaders(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const i = line.indexOf(":");
    if (i <= 0) throw new Error(`Not a header line (Name: value): ${line}`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

/**
 * The invoke console: any method, subpath, headers and body (text or a file), as the service
 * role, anonymously or as a chosen user; the answer's status, headers, timing and body as it
 * streams in, with a link to the request's log lines.
 */
export default function Invoke({ appId, session }: { appId: string; session: SessionInfo }) {
  const search = new URLSearchParams(useSearch());
  const isKey = session.kind === "key";
  const fns = useFunctions(appId);
  const [fn, setFn] = useState(search.get("function") ?? "");
  const [method, setMethod] = useState("POST");
  const [subpath, setSubpath] = useState("");
  const [headerText, setHeaderText] = useState("content-type: application/json");
  const [bodyKind, setBodyKind] = useState("text");
  const [bodyText, setBodyText] = useState('{"name": "Ada"}');
  const [file, setFile] = useState<File | null>(null);
  const [as, setAs] = useState(isKey ? "service" : "me");
  const [userId, setUserId] = useState<string | null>(null);
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const users = useQuery({
    queryKey: ["users", appId, "pick"],
    queryFn: () => api<User[]>(`/apps/${encodeURIComponent(appId)}/entities/User?limit=100`),
    enabled: as === "user" && isKey,
  });

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setResult(undefined);
    const name = fn.trim().replace(/^\/+|\/+$/g, "");
    if (name === "") {
      setError(new Error("Pick a function"));
      return;
    }
    let headers: [string, string][];
    try {
      headers = parseHeaders(headerText);
    } catch (err) {
      setError(err);
      return;
    }
    const h = new Headers(headers);
    let mode: "session" | "anonymous" | "bearer" = "session";
    if (as === "anonymous") mode = "anonymous";
    if (as === "user") {
      if (!userId) {
        setError(new Error("Pick a user to run as"));
        return;
      }
      try {
        const t = await api<{ access_token: string }>(
          `/apps/${encodeURIComponent(appId)}/users/${encodeURIComponent(userId)}/access-token`,
          { method: "POST", json: { expires_in: 300 } },
        );
        h.set("authorization", `Bearer ${t.access_token}`);
        mode = "bearer";
      } catch (err) {
        setError(err);
        return;
      }
    }
    const hasBody = method !== "GET" && method !== "HEAD" && bodyKind !== "none";
    let body: BodyInit | null = null;
    if (hasBody && bodyKind === "text") body = bodyText;
    if (hasBody && bodyKind === "file") {
      if (!file) {
        setError(new Error("Pick a file to send"));
        return;
      }
      body = file;
      if (!h.has("content-type")) h.set("content-type", file.type || "application/octet-stream");
    }
    if (!hasBody) h.delete("content-type");
    const sub = subpath.trim() === "" ? "" : `/${subpath.trim().replace(/^\/+/, "")}`;
    const controller = new AbortController();
    abort.current = controller;
    setRunning(true);
    const sentAt = Date.now();
    const t0 = performance.now();
    try {
      const res = await relayFetch(
        `/apps/${encodeURIComponent(appId)}/functions/${encodePath(name)}${sub}`,
        { method, headers: h, body, as: mode, signal: controller.signal },
      );
      const r: Result = {
        status: res.status,
        statusText: res.statusText,
        headers: [...res.headers.entries()],
        headMs: Math.round(performance.now() - t0),
        doneMs: null,
        body: "",
        received: 0,
        requestId: res.headers.get("x-request-id"),
        sentAt,
      };
      setResult({ ...r });
      if (res.body) {
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          r.received += value.byteLength;
          if (r.body.length < MAX_SHOWN) r.body += decoder.decode(value, { stream: true });
          setResult({ ...r });
        }
      }
      r.doneMs = Math.round(performance.now() - t0);
      setResult({ ...r });
    } catch (err) {
      if ((err as Error).name !== "AbortError") setError(err);
    } finally {
      setRunning(false);
      abort.current = null;
    }
  };

  const base = `/apps/${encodeURIComponent(appId)}`;
  const logsLink = (r: Result) => {
    const since = new Date(r.sentAt - 60_000).toISOString();
    return `${base}/logs?request_id=${encodeURIComponent(r.requestId ?? "")}&since=${encodeURIComponent(since)}`;
  };

  return (
    <>
      <PageHeader
        title="Invoke"
        description="Call a function through the same route as any client."
      />
      <Paper withBorder p="md" mb="md">
        <form onSubmit={run}>
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <Autocomplete
                label="Function"
                placeholder="hello"
                data={fns.data?.map((f) => f.name) ?? []}
                value={fn}
                onChange={setFn}
                required
              />
              <Select
                label="Method"
                data={METHODS}
                value={method}
                onChange={(v) => v && setMethod(v)}
                allowDeselect={false}
              />
              <TextInput
                label="Subpath"
                placeholder="items/42?full=1"
                value={subpath}
                onChange={(e) => setSubpath(e.currentTarget.value)}
              />
            </SimpleGrid>
            <Textarea
              label="Headers"
              description="One per line: Name: value"
              autosize
              minRows={2}
              value={headerText}
              onChange={(e) => setHeaderText(e.currentTarget.value)}
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            />
            <div>
              <Text size="sm" fw={500} mb={4} id="body-kind">
                Body
              </Text>
              <SegmentedControl
                aria-labelledby="body-kind"
                value={bodyKind}
                onChange={setBodyKind}
                data={[
                  { value: "none", label: "None" },
                  { value: "text", label: "Text" },
                  { value: "file", label: "File" },
                ]}
              />
            </div>
            {bodyKind === "text" && (
              <Textarea
                aria-label="Body text"
                autosize
                minRows={3}
                maxRows={14}
                value={bodyText}
                onChange={(e) => setBodyText(e.currentTarget.value)}
                styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
              />
            )}
            {bodyKind === "file" && (
              <FileInput
                label="File"
                placeholder="Pick a file"
                value={file}
                onChange={setFile}
                clearable
              />
            )}
            <div>
              <Text size="sm" fw={500} mb={4} id="run-as">
                Run as
              </Text>
              <Group gap="sm" align="flex-end">
                <SegmentedControl
                  aria-labelledby="run-as"
                  value={as}
                  onChange={setAs}
                  data={
                    isKey
                      ? [
                          { value: "service", label: "Service role" },
                          { value: "anonymous", label: "Anonymous" },
                          { value: "user", label: "A user" },
                        ]
                      : [
                          { value: "me", label: session.user?.email ?? "Me" },
                          { value: "anonymous", label: "Anonymous" },
                        ]
                  }
                />
                {as === "user" && (
                  <Select
                    aria-label="User"
                    placeholder={users.isPending ? "Loading users…" : "Pick a user"}
                    data={
                      users.data?.map((u) => ({ value: u.id, label: `${u.email} (${u.role})` })) ??
                      []
                    }
                    value={userId}
                    onChange={setUserId}
                    searchable
                    nothingFoundMessage="No users in this app"
                    miw={240}
                  />
                )}
              </Group>
            </div>
            <ErrorAlert error={error ?? users.error} />
            <Group justify="flex-end">
              {running && (
                <Button variant="default" onClick={() => abort.current?.abort()}>
                  Stop
                </Button>
              )}
              <Button type="submit" loading={running}>
                Send
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      {result && (
        <Paper withBorder p="md" data-testid="invoke-result">
          <Group justify="space-between" mb="sm">
            <Group gap="xs">
              <Title order={4}>Answer</Title>
              <Badge
                size="lg"
                color={result.status < 300 ? "teal" : result.status < 500 ? "yellow" : "red"}
                data-testid="invoke-status"
              >
                {result.status} {result.statusText}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed" data-testid="invoke-timing">
              head {result.headMs} ms ·{" "}
              {result.doneMs === null ? "streaming…" : `done ${result.doneMs} ms`} ·{" "}
              {bytes(result.received)}
            </Text>
          </Group>
          {result.requestId && (
            <Text size="sm" mb="sm">
              Request <code>{result.requestId}</code> ·{" "}
              <Anchor component={Link} href={logsLink(result)}>
                its log lines
              </Anchor>
            </Text>
          )}
          <pre className="mono stream-body" data-testid="invoke-body">
            {result.body}
            {result.received > MAX_SHOWN &&
              `\n… ${bytes(result.received - MAX_SHOWN)} more not shown`}
          </pre>
          <Table.ScrollContainer minWidth={360} mt="sm">
            <Table withTableBorder verticalSpacing={4} fz="xs">
              <Table.Tbody>
                {result.headers.map(([k, v]) => (
                  <Table.Tr key={`${k}:${v}`}>
                    <Table.Td ff="monospace" w="30%">
                      {k}
                    </Table.Td>
                    <Table.Td ff="monospace" style={{ wordBreak: "break-all" }}>
                      {v}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </>
  );
}

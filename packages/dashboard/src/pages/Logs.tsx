import {
  Anchor,
  Badge,
  Button,
  Group,
  MultiSelect,
  Paper,
  Select,
  SimpleGrid,
  Switch,
  Text,
  TextInput,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useEffect, useState } from "react";
import { useLocation, useSearch } from "wouter";
import { api } from "../api/client";
import { useFunctions } from "../api/hooks";
import { readEvents } from "../api/sse";
import type { Level, LogLine } from "../api/types";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { clock } from "../components/format";
import { PageHeader } from "../components/PageHeader";

const LEVELS: Level[] = ["debug", "info", "warning", "error"];
const RANK: Record<Level, number> = { debug: 0, info: 1, warning: 2, error: 3 };
const COLOR: Record<Level, string> = {
  debug: "gray",
  info: "blue",
  warning: "yellow",
  error: "red",
};
/** Lines kept on the page; older ones scroll away. */
const KEEP = 1000;

/** A line on the page, with a number of its own (React's key). */
type Shown = LogLine & { seq: number };
let nextSeq = 0;
const numbered = (l: LogLine): Shown => ({ ...l, seq: nextSeq++ });

/**
 * The app's logs: the latest lines, then the live tail as lines are written, filtered by
 * function, level and text; a request id narrows them to one request (the invoke console and
 * the automations page link here with one).
 */
export default function Logs({ appId }: { appId: string }) {
  const params = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const requestId = params.get("request_id") ?? "";
  const since = params.get("since") ?? "";
  const fns = useFunctions(appId);
  const [functions, setFunctions] = useState<string[]>(() =>
    params.get("function") ? [params.get("function")!] : [],
  );
  const [level, setLevel] = useState<Level>("debug");
  const [text, setText] = useState("");
  const [search] = useDebouncedValue(text, 300);
  const [live, setLive] = useState(requestId === "");
  const [lines, setLines] = useState<Shown[]>([]);
  const [error, setError] = useState<unknown>();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    const base = `/apps/${encodeURIComponent(appId)}/functions-mgmt/logs`;
    const q = new URLSearchParams({ limit: "200", order: "desc" });
    if (functions.length > 0) q.set("function", functions.join(","));
    if (level !== "debug") q.set("level", level);
    if (search) q.set("q", search);
    if (requestId) q.set("request_id", requestId);
    if (since) q.set("since", since);
    setError(undefined);
    setLines([]);
    const matches = (l: LogLine) =>
      (!search || l.message.toLowerCase().includes(search.toLowerCase())) &&
      (!requestId || l.request_id === requestId);
    (async () => {
      const stored = await api<LogLine[]>(`${base}?${q}`, { signal: controller.signal });
      setLines(stored.map(numbered));
      if (!live) return;
      const s = new URLSearchParams();
      if (functions.length > 0) s.set("function", functions.join(","));
      if (level !== "debug") s.set("level", level);
      setConnected(true);
      await readEvents(
        `${base}/stream${s.size > 0 ? `?${s}` : ""}`,
        (data) => {
          const l = data as LogLine;
          if (RANK[l.level] === undefined || !matches(l)) return;
          setLines((prev) => [numbered(l), ...prev].slice(0, KEEP));
        },
        controller.signal,
      );
    })()
      .catch((err: unknown) => {
        if ((err as Error).name !== "AbortError") setError(err);
      })
      .finally(() => setConnected(false));
    return () => controller.abort();
  }, [appId, functions, level, search, requestId, since, live]);

  const showRequest = (id: string) => navigate(`${location}?request_id=${encodeURIComponent(id)}`);

  return (
    <>
      <PageHeader
        title="Logs"
        description="What functions print, and what the platform says about them."
      >
        <Switch
          label={connected ? "Live" : "Live (off)"}
          checked={live}
          onChange={(e) => setLive(e.currentTarget.checked)}
        />
      </PageHeader>
      <Paper withBorder p="sm" mb="md">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <MultiSelect
            label="Functions"
            placeholder={functions.length === 0 ? "All functions" : undefined}
            data={fns.data?.map((f) => f.name) ?? functions}
            value={functions}
            onChange={setFunctions}
            clearable
            searchable
          />
          <Select
            label="Level at least"
            data={LEVELS}
            value={level}
            onChange={(v) => v && setLevel(v as Level)}
            allowDeselect={false}
          />
          <TextInput
            label="Search"
            placeholder="Text in the message"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
          />
        </SimpleGrid>
        {requestId && (
          <Group mt="sm" gap="xs">
            <Text size="sm">
              Request <code>{requestId}</code>
            </Text>
            <Button size="compact-xs" variant="default" onClick={() => navigate(location)}>
              Show every request
            </Button>
          </Group>
        )}
      </Paper>
      <ErrorAlert error={error} />
      {lines.length === 0 && !error && (
        <EmptyState title={live ? "Waiting for lines…" : "No lines"}>
          {live
            ? "Invoke a function and what it prints appears here as it is written."
            : "Nothing matches these filters."}
        </EmptyState>
      )}
      <div role="log" aria-live="polite" aria-label="Log lines" data-testid="log-lines">
        {lines.map((l) => (
          <div className="log-line" key={l.seq}>
            <Text size="xs" ff="monospace" c="dimmed" title={l.time}>
              {clock(l.time)}
            </Text>
            <Badge size="xs" variant="light" color={COLOR[l.level] ?? "gray"}>
              {l.level}
            </Badge>
            <Text size="xs" ff="monospace" className="log-fn">
              {l.function}
            </Text>
            <div>
              <span className="mono">{l.message}</span>
              {l.request_id && !requestId && (
                <Anchor
                  component="button"
                  type="button"
                  size="xs"
                  ml={6}
                  onClick={() => showRequest(l.request_id!)}
                  title="Only this request's lines"
                >
                  {l.request_id.slice(0, 8)}
                </Anchor>
              )}
            </div>
          </div>
        ))}
      </div>
    </>
  );
}

import {
  Anchor,
  Button,
  FileButton,
  Group,
  JsonInput,
  Modal,
  NavLink,
  Pagination,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, errorOf, relayFetch } from "../api/client";
import type { EntityRecord, EntitySchema } from "../api/types";
import { ConfirmButton } from "../components/ConfirmButton";
import { download, toCsv } from "../components/csv";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

const PAGE = 25;
/** Fields the server sets on every record. */
const SYSTEM = ["id", "created_date", "updated_date", "created_by", "created_by_id", "is_sample"];

/** A cell's value, short. */
function show(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** The app's entities and their records: filter, sort, pages, create/edit/delete, CSV in and out. */
export default function Data({ appId, entity }: { appId: string; entity?: string }) {
  const schemas = useQuery({
    queryKey: ["schemas", appId],
    queryFn: () => api<EntitySchema[]>(`/apps/${encodeURIComponent(appId)}/entity-schemas`),
  });
  const base = `/apps/${encodeURIComponent(appId)}/data`;
  const selected = entity ?? schemas.data?.[0]?.name;
  const schema = schemas.data?.find((s) => s.name === selected);
  return (
    <>
      <PageHeader
        title="Data"
        description="Records of the app's entities, as the service role (access rules do not apply)."
      />
      <ErrorAlert error={schemas.error} />
      {schemas.data?.length === 0 && (
        <EmptyState title="No entities">
          Define them in <code>base44/entities/*.jsonc</code> and push them with{" "}
          <code>fnbase deploy</code>.
        </EmptyState>
      )}
      {schemas.data && schemas.data.length > 0 && (
        <SimpleGrid cols={{ base: 1, md: 5 }} spacing="md">
          <Paper withBorder p={4} style={{ gridColumn: "span 1" }}>
            <nav aria-label="Entities">
              {schemas.data.map((s) => (
                <NavLink
                  key={s.name}
                  component={Link}
                  href={`${base}/${encodeURIComponent(s.name)}`}
                  label={s.name}
                  active={s.name === selected}
                />
              ))}
            </nav>
          </Paper>
          <div style={{ gridColumn: "span 4", minWidth: 0 }}>
            {schema ? (
              <Records key={schema.name} appId={appId} schema={schema} />
            ) : (
              <ErrorAlert error={new Error(`No entity "${selected}"`)} />
            )}
          </div>
        </SimpleGrid>
      )}
    </>
  );
}

function Records({ appId, schema }: { appId: string; schema: EntitySchema }) {
  const qc = useQueryClient();
  const path = `/apps/${encodeURIComponent(appId)}/entities/${encodeURIComponent(schema.name)}`;
  const fields = Object.keys(schema.properties ?? {});
  const columns = ["id", ...fields.slice(0, 6), "created_date"];
  const [filterText, setFilterText] = useState("");
  const [filter, setFilter] = useState<string>("");
  const [filterError, setFilterError] = useState<unknown>();
  const [sortField, setSortField] = useState("created_date");
  const [desc, setDesc] = useState(true);
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<{ id?: string; json: string }>();
  const sort = `${desc ? "-" : ""}${sortField}`;
  const q = filter ? `&q=${encodeURIComponent(filter)}` : "";
  const records = useQuery({
    queryKey: ["records", appId, schema.name, filter, sort, page],
    queryFn: () =>
      api<EntityRecord[]>(
        `${path}?limit=${PAGE}&skip=${(page - 1) * PAGE}&sort=${encodeURIComponent(sort)}${q}`,
      ),
  });
  const count = useQuery({
    queryKey: ["records", appId, schema.name, filter, "count"],
    queryFn: async () => (await api<{ count: number }>(`${path}/count?${q.slice(1)}`)).count,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: ["records", appId, schema.name] });
  const save = useMutation({
    mutationFn: (e: { id?: string; json: string }) => {
      const body = JSON.parse(e.json) as unknown;
      return e.id
        ? api(`${path}/${encodeURIComponent(e.id)}`, { method: "PUT", json: body })
        : api(path, { method: "POST", json: body });
    },
    onSuccess: async () => {
      setEditing(undefined);
      await refresh();
      notifications.show({ color: "teal", message: "Record saved" });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`${path}/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
  const importCsv = useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append("file", file);
      const res = await relayFetch(`${path}/import`, { method: "POST", body: form });
      if (!res.ok) throw await errorOf(res);
      return (await res.json()) as { details: string };
    },
    onSuccess: async (r) => {
      await refresh();
      notifications.show({ color: "teal", message: r.details });
    },
  });
  const exportCsv = useMutation({
    mutationFn: async () => {
      const all: EntityRecord[] = [];
      for (let skip = 0; skip < 50_000; skip += 1000) {
        const page = await api<EntityRecord[]>(
          `${path}?limit=1000&skip=${skip}&sort=created_date${q}`,
        );
        all.push(...page);
        if (page.length < 1000) break;
      }
      const cols = ["id", ...fields, "created_date", "updated_date", "created_by"];
      download(`${schema.name}.csv`, toCsv(cols, all), "text/csv");
      return all.length;
    },
  });
  const applyFilter = () => {
    const t = filterText.trim();
    if (t === "") {
      setFilter("");
      setFilterError(undefined);
      return;
    }
    try {
      JSON.parse(t);
      setFilter(t);
      setFilterError(undefined);
      setPage(1);
    } catch {
      setFilterError(new Error('The filter must be a JSON query, such as {"status": "open"}'));
    }
  };
  const edit = (r?: EntityRecord) => {
    const body: Record<string, unknown> = {};
    if (r) {
      for (const [k, v] of Object.entries(r)) if (!SYSTEM.includes(k)) body[k] = v;
    } else {
      for (const f of fields) body[f] = null;
    }
    setEditing({ ...(r ? { id: r.id } : {}), json: JSON.stringify(body, null, 2) });
  };
  const pages = Math.max(1, Math.ceil((count.data ?? 0) / PAGE));

  return (
    <Stack gap="sm">
      <Group justify="space-between" gap="xs">
        <Text fw={600}>
          {schema.name}{" "}
          <Text span c="dimmed" size="sm">
            ({count.data ?? "…"} {count.data === 1 ? "record" : "records"})
          </Text>
        </Text>
        <Group gap="xs">
          <Button size="xs" onClick={() => edit()}>
            New record
          </Button>
          <FileButton
            onChange={(f) => f && importCsv.mutate(f)}
            accept=".csv,.json,text/csv,application/json"
          >
            {(props) => (
              <Button size="xs" variant="default" loading={importCsv.isPending} {...props}>
                Import CSV
              </Button>
            )}
          </FileButton>
          <Button
            size="xs"
            variant="default"
            loading={exportCsv.isPending}
            onClick={() => exportCsv.mutate()}
          >
            Export CSV
          </Button>
        </Group>
      </Group>
      <Group align="flex-end" gap="xs" wrap="wrap">
        <TextInput
          label="Filter"
          placeholder='{"status": "open"}'
          value={filterText}
          onChange={(e) => setFilterText(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && applyFilter()}
          style={{ flex: 1, minWidth: 200 }}
          styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
        />
        <Button variant="default" onClick={applyFilter}>
          Apply
        </Button>
        <Select
          label="Sort by"
          data={["created_date", "updated_date", ...fields]}
          value={sortField}
          onChange={(v) => v && setSortField(v)}
          allowDeselect={false}
          w={160}
        />
        <Button variant="default" onClick={() => setDesc(!desc)} aria-label="Sort direction">
          {desc ? "Newest first ↓" : "Oldest first ↑"}
        </Button>
      </Group>
      <Text component="details" size="sm" c="dimmed">
        <summary style={{ cursor: "pointer" }}>Schema of {schema.name}</summary>
        <pre className="mono" data-testid="schema">
          {JSON.stringify(schema, null, 2)}
        </pre>
      </Text>
      <ErrorAlert
        error={filterError ?? records.error ?? remove.error ?? importCsv.error ?? exportCsv.error}
      />
      {records.data?.length === 0 && (
        <EmptyState title="No records">
          {filter ? "None match this filter." : "Create one, or import a CSV."}
        </EmptyState>
      )}
      {records.data && records.data.length > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table highlightOnHover verticalSpacing={6} fz="sm" data-testid="records">
            <Table.Thead>
              <Table.Tr>
                {columns.map((c) => (
                  <Table.Th key={c}>{c}</Table.Th>
                ))}
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {records.data.map((r) => (
                <Table.Tr key={r.id}>
                  {columns.map((c) => (
                    <Table.Td key={c} ff={c === "id" ? "monospace" : undefined}>
                      {c === "id" ? (
                        <Anchor component="button" type="button" size="sm" onClick={() => edit(r)}>
                          {r.id.slice(0, 8)}
                        </Anchor>
                      ) : c === "created_date" ? (
                        when(r[c] as string)
                      ) : (
                        show(r[c])
                      )}
                    </Table.Td>
                  ))}
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      <Button
                        size="compact-xs"
                        variant="default"
                        onClick={() => edit(r)}
                        aria-label={`Edit ${r.id}`}
                      >
                        Edit
                      </Button>
                      <ConfirmButton
                        size="compact-xs"
                        label="Delete"
                        onConfirm={() => remove.mutate(r.id)}
                        aria-label={`Delete ${r.id}`}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} size="sm" />}
      <Modal
        opened={editing !== undefined}
        onClose={() => setEditing(undefined)}
        title={editing?.id ? `Edit ${schema.name} ${editing.id.slice(0, 8)}` : `New ${schema.name}`}
        size="lg"
      >
        {editing && (
          <Stack>
            <JsonInput
              label="Fields (JSON)"
              value={editing.json}
              onChange={(json) => setEditing({ ...editing, json })}
              autosize
              minRows={8}
              maxRows={24}
              validationError="Not valid JSON"
              formatOnBlur
              data-autofocus
            />
            <ErrorAlert error={save.error} title="Cannot save" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setEditing(undefined)}>
                Cancel
              </Button>
              <Button loading={save.isPending} onClick={() => save.mutate(editing)}>
                Save record
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

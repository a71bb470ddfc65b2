import { Anchor, Badge, Button, Group, Paper, Stack, Switch, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import type { Automation, Run } from "../api/types";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

const STATUS_COLOR: Record<string, string> = {
  active: "teal",
  disabled: "gray",
  ended: "gray",
  unsupported: "yellow",
  succeeded: "teal",
  failed: "red",
  running: "blue",
  queued: "blue",
  skipped: "gray",
};

/** What starts an automation, in words. */
function trigger(a: Automation): string {
  if (a.type === "entity")
    return `on ${a.event_types?.join(", ") ?? "changes"} of ${a.entity_name}`;
  if (a.cron_expression) return `cron ${a.cron_expression}`;
  if (a.repeat_interval) return `every ${a.repeat_interval} ${a.repeat_unit ?? ""}`;
  return a.schedule_type ?? a.type;
}

/** The app's automations: next run, last run, history, run now, enable and disable. */
export default function Automations({ appId }: { appId: string }) {
  const qc = useQueryClient();
  const path = `/apps/${encodeURIComponent(appId)}/automations`;
  const list = useQuery({
    queryKey: ["automations", appId],
    queryFn: async () => (await api<{ automations: Automation[] }>(path)).automations,
    refetchInterval: 10_000,
  });
  const [open, setOpen] = useState<string>();
  const runNow = useMutation({
    mutationFn: (id: string) =>
      api<Run>(`${path}/${encodeURIComponent(id)}/run`, { method: "POST" }),
    onSuccess: async () => {
      notifications.show({ color: "teal", message: "Run queued" });
      await qc.invalidateQueries({ queryKey: ["automations", appId] });
    },
  });
  const toggle = useMutation({
    mutationFn: (a: { id: string; on: boolean }) =>
      api(`${path}/${encodeURIComponent(a.id)}`, { method: "PATCH", json: { is_active: a.on } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["automations", appId] }),
  });

  return (
    <>
      <PageHeader
        title="Automations"
        description="Functions the platform starts on a schedule or on entity changes."
      />
      <ErrorAlert error={list.error ?? runNow.error ?? toggle.error} />
      {list.data?.length === 0 && (
        <EmptyState title="No automations">
          Add <code>automations</code> to a function's <code>function.jsonc</code> and deploy it.
        </EmptyState>
      )}
      {list.data && list.data.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" data-testid="automations">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Function</Table.Th>
                <Table.Th>Trigger</Table.Th>
                <Table.Th>Next run</Table.Th>
                <Table.Th>Last run</Table.Th>
                <Table.Th>Active</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.map((a) => (
                <Fragment key={a.id}>
                  <Table.Tr>
                    <Table.Td>
                      <Group gap={6}>
                        {a.name}
                        <Badge size="xs" variant="light" color={STATUS_COLOR[a.status]}>
                          {a.status}
                        </Badge>
                      </Group>
                    </Table.Td>
                    <Table.Td ff="monospace">{a.function_name}</Table.Td>
                    <Table.Td>{trigger(a)}</Table.Td>
                    <Table.Td>{when(a.next_run_at)}</Table.Td>
                    <Table.Td>
                      {a.last_run ? (
                        <Group gap={6} wrap="nowrap">
                          <Badge variant="light" color={STATUS_COLOR[a.last_run.status]}>
                            {a.last_run.status}
                          </Badge>
                          <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                            {when(a.last_run.finished_at ?? a.last_run.created_date)}
                          </Text>
                        </Group>
                      ) : (
                        "—"
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Switch
                        aria-label={`${a.name} active`}
                        checked={a.status !== "disabled"}
                        onChange={(e) => toggle.mutate({ id: a.id, on: e.currentTarget.checked })}
                      />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Button size="xs" variant="light" onClick={() => runNow.mutate(a.id)}>
                          Run now
                        </Button>
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setOpen(open === a.id ? undefined : a.id)}
                        >
                          {open === a.id ? "Hide runs" : "Runs"}
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                  {open === a.id && (
                    <Table.Tr>
                      <Table.Td colSpan={7}>
                        <Runs appId={appId} automationId={a.id} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

function Runs({ appId, automationId }: { appId: string; automationId: string }) {
  const runs = useQuery({
    queryKey: ["runs", appId, automationId],
    queryFn: async () =>
      (
        await api<{ runs: Run[] }>(
          `/apps/${encodeURIComponent(appId)}/automations/${encodeURIComponent(automationId)}/runs?limit=20`,
        )
      ).runs,
    refetchInterval: 5_000,
  });
  if (runs.error) return <ErrorAlert error={runs.error} />;
  if (!runs.data) return null;
  if (runs.data.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No runs yet.
      </Text>
    );
  return (
    <Paper withBorder p="xs">
      <Stack gap={4}>
        {runs.data.map((r) => (
          <Group key={r.id} gap="xs" wrap="wrap">
            <Badge size="sm" variant="light" color={STATUS_COLOR[r.status]}>
              {r.status}
            </Badge>
            <Text size="xs">{r.trigger}</Text>
            <Text size="xs" c="dimmed">
              {when(r.started_at ?? r.created_date)}
              {r.duration_ms !== null && ` · ${r.duration_ms} ms`}
              {r.http_status !== null && ` · HTTP ${r.http_status}`}
              {r.attempts > 1 && ` · ${r.attempts} attempts`}
            </Text>
            {r.request_id && (
              <Anchor
                component={Link}
                size="xs"
                href={`/apps/${encodeURIComponent(appId)}/logs?request_id=${encodeURIComponent(r.request_id)}`}
              >
                logs
              </Anchor>
            )}
            {r.error && (
              <Text size="xs" c="red">
                {r.error}
              </Text>
            )}
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}

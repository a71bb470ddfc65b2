import {
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  ScrollArea,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api, encodePath } from "../api/client";
import { useFunctions } from "../api/hooks";
import type { Deployment } from "../api/types";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { short, when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

/** One function: its code (read-only), its deployments with rollback, and delete. */
export default function FunctionDetail({ appId, name }: { appId: string; name: string }) {
  const fns = useFunctions(appId);
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [file, setFile] = useState<string | null>(null);
  const [confirmDelete, del] = useDisclosure();
  const path = `/apps/${encodeURIComponent(appId)}/backend-functions/${encodePath(name)}`;
  const history = useQuery({
    queryKey: ["deployments", appId, name],
    queryFn: async () =>
      (await api<{ deployments: Deployment[] }>(`${path}/deployments`)).deployments,
  });
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ["functions", appId] }),
      qc.invalidateQueries({ queryKey: ["deployments", appId, name] }),
    ]);
  const rollback = useMutation({
    mutationFn: (deploymentId: string) =>
      api<{ deployment_id: string }>(`${path}/rollback`, {
        method: "POST",
        json: { deployment_id: deploymentId },
      }),
    onSuccess: async (r) => {
      await refresh();
      notifications.show({ color: "teal", message: `Rolled back to ${short(r.deployment_id)}` });
    },
  });
  const remove = useMutation({
    mutationFn: () => api(path, { method: "DELETE" }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["functions", appId] });
      navigate(`/apps/${encodeURIComponent(appId)}/functions`);
    },
  });

  if (fns.error) return <ErrorAlert error={fns.error} />;
  if (!fns.data) return null;
  const fn = fns.data.find((f) => f.name === name);
  if (!fn) {
    return (
      <EmptyState title={`No function "${name}"`}>
        It is not deployed in this app (any more).{" "}
        <Anchor component={Link} href={`/apps/${encodeURIComponent(appId)}/functions`}>
          See the functions
        </Anchor>
      </EmptyState>
    );
  }
  const shown = fn.files.find((f) => f.path === (file ?? fn.entry)) ?? fn.files[0];
  const base = `/apps/${encodeURIComponent(appId)}`;

  return (
    <>
      <PageHeader
        title={fn.name}
        description={
          <>
            Deployment <Code data-testid="current-deployment">{short(fn.deployment_id)}</Code> ·{" "}
            {when(fn.updated_date)}
          </>
        }
      >
        <Button
          component={Link}
          href={`${base}/invoke?function=${encodeURIComponent(fn.name)}`}
          variant="light"
        >
          Invoke
        </Button>
        <Button
          component={Link}
          href={`${base}/logs?function=${encodeURIComponent(fn.name)}`}
          variant="default"
        >
          Logs
        </Button>
        <Button color="red" variant="outline" onClick={del.open}>
          Delete
        </Button>
      </PageHeader>
      <ErrorAlert error={rollback.error ?? remove.error} />
      <Tabs defaultValue="code" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="code">Code</Tabs.Tab>
          <Tabs.Tab value="history">History</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="code" pt="md">
          <Stack gap="sm">
            {fn.files.length > 1 && (
              <Select
                label="File"
                data={fn.files.map((f) => f.path)}
                value={shown?.path ?? null}
                onChange={setFile}
                allowDeselect={false}
                maw={400}
              />
            )}
            <Paper withBorder>
              <Group px="sm" py={6} justify="space-between">
                <Text size="sm" ff="monospace">
                  {shown?.path}
                </Text>
                <Badge variant="light" color="gray">
                  read-only
                </Badge>
              </Group>
              <ScrollArea.Autosize mah={560}>
                <pre className="mono" style={{ margin: 0, padding: 12 }} data-testid="code">
                  {shown?.content}
                </pre>
              </ScrollArea.Autosize>
            </Paper>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <ErrorAlert error={history.error} />
          <Table.ScrollContainer minWidth={480}>
            <Table verticalSpacing="sm" data-testid="history">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Deployment</Table.Th>
                  <Table.Th>Deployed</Table.Th>
                  <Table.Th>Files</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {history.data?.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {short(d.id)}
                      </Text>
                    </Table.Td>
                    <Table.Td>{when(d.created_date)}</Table.Td>
                    <Table.Td>{d.files}</Table.Td>
                    <Table.Td>
                      {d.current ? (
                        <Badge>current</Badge>
                      ) : (
                        <Button
                          size="xs"
                          variant="light"
                          loading={rollback.isPending && rollback.variables === d.id}
                          onClick={() => rollback.mutate(d.id)}
                          aria-label={`Roll back to ${short(d.id)}`}
                        >
                          Roll back to this
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Tabs.Panel>
      </Tabs>
      <Modal opened={confirmDelete} onClose={del.close} title={`Delete ${fn.name}?`}>
        <Text size="sm" mb="md">
          Its instances stop and its URL answers 404. Deploy it again to bring it back.
        </Text>
        <ErrorAlert error={remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={del.close}>
            Cancel
          </Button>
          <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
            Delete function
          </Button>
        </Group>
      </Modal>
    </>
  );
}

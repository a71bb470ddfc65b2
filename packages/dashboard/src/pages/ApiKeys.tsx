import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Paper,
  Table,
  TextInput,
} from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import type { ApiKey } from "../api/types";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

const PATH = "/workspace/api-keys";

/** Workspace API keys (admin key only): create (the key is shown once), list, revoke. */
export default function ApiKeys() {
  const qc = useQueryClient();
  const keys = useQuery({
    queryKey: ["api-keys"],
    queryFn: async () => (await api<{ api_keys: ApiKey[] }>(PATH)).api_keys,
  });
  const [name, setName] = useState("");
  const [shown, setShown] = useState<string>();
  const create = useMutation({
    mutationFn: (n: string) =>
      api<ApiKey & { key: string }>(PATH, { method: "POST", json: { name: n } }),
    onSuccess: async (k) => {
      setName("");
      setShown(k.key);
      await qc.invalidateQueries({ queryKey: ["api-keys"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`${PATH}/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["api-keys"] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name);
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Workspace keys for the CLI, CI and the Base44 CLI (BASE44_API_KEY). Revoking one ends its dashboard sessions."
      />
      <Paper withBorder p="md" mb="md">
        <form onSubmit={submit}>
          <Group align="flex-end" gap="sm">
            <TextInput
              label="New key"
              placeholder="ci"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              style={{ flex: 1, minWidth: 180 }}
            />
            <Button type="submit" loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </form>
      </Paper>
      <ErrorAlert error={keys.error ?? create.error ?? revoke.error} />
      {keys.data?.length === 0 && (
        <EmptyState title="No workspace keys">Create one above.</EmptyState>
      )}
      {keys.data && keys.data.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="sm" data-testid="api-keys">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.map((k) => (
                <Table.Tr key={k.id}>
                  <Table.Td>{k.name}</Table.Td>
                  <Table.Td ff="monospace">{k.prefix}…</Table.Td>
                  <Table.Td>{when(k.created_date)}</Table.Td>
                  <Table.Td>{when(k.last_used_date)}</Table.Td>
                  <Table.Td>
                    {k.revoked_date ? (
                      <Badge color="gray">revoked</Badge>
                    ) : (
                      <ConfirmButton
                        size="xs"
                        label="Revoke"
                        loading={revoke.isPending && revoke.variables === k.id}
                        onConfirm={() => revoke.mutate(k.id)}
                        aria-label={`Revoke ${k.name}`}
                      />
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={shown !== undefined} onClose={() => setShown(undefined)} title="Your new key">
        <Alert color="yellow" variant="light" mb="sm">
          Copy it now: it is shown only this once.
        </Alert>
        <Code block data-testid="new-key">
          {shown}
        </Code>
        <Group justify="flex-end" mt="md">
          <CopyButton value={shown ?? ""}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? "Copied" : "Copy"}
              </Button>
            )}
          </CopyButton>
          <Button onClick={() => setShown(undefined)}>Done</Button>
        </Group>
      </Modal>
    </>
  );
}

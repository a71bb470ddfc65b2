import {
  Button,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";

/**
 * The app's secrets by name. Values are write-only: set or replace one here, and functions read
 * it as `Deno.env.get(NAME)`; nobody reads it back, this page included.
 */
export default function Secrets({ appId }: { appId: string }) {
  const qc = useQueryClient();
  const path = `/apps/${encodeURIComponent(appId)}/secrets`;
  const names = useQuery({
    queryKey: ["secrets", appId],
    queryFn: async () => Object.keys(await api<Record<string, string>>(path)).sort(),
  });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const set = useMutation({
    mutationFn: (s: { name: string; value: string }) =>
      api(path, { method: "POST", json: { [s.name]: s.value } }),
    onSuccess: async (_r, s) => {
      setName("");
      setValue("");
      await qc.invalidateQueries({ queryKey: ["secrets", appId] });
      notifications.show({
        color: "teal",
        message: `Secret ${s.name} set; running instances restart`,
      });
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) =>
      api(`${path}?secret_name=${encodeURIComponent(n)}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["secrets", appId] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate({ name: name.trim(), value });
  };

  return (
    <>
      <PageHeader
        title="Secrets"
        description="Encrypted at rest; functions read them as environment variables. Values are never shown again."
      />
      <Paper withBorder p="md" mb="md">
        <form onSubmit={submit}>
          <Stack gap="sm">
            <Title order={4}>Set or replace a secret</Title>
            <Group align="flex-end" gap="sm" grow>
              <TextInput
                label="Name"
                placeholder="STRIPE_KEY"
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                required
              />
              <PasswordInput
                label="Value"
                value={value}
                onChange={(e) => setValue(e.currentTarget.value)}
                autoComplete="new-password"
                required
              />
            </Group>
            <ErrorAlert error={set.error} title="Cannot set the secret" />
            <Group justify="flex-end">
              <Button type="submit" loading={set.isPending}>
                Save secret
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      <ErrorAlert error={names.error ?? remove.error} />
      {names.data?.length === 0 && (
        <EmptyState title="No secrets">
          Set one above, or with <code>fnbase secrets set NAME=value</code>.
        </EmptyState>
      )}
      {names.data && names.data.length > 0 && (
        <Table verticalSpacing="sm" data-testid="secrets">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {names.data.map((n) => (
              <Table.Tr key={n}>
                <Table.Td ff="monospace">{n}</Table.Td>
                <Table.Td>
                  <Text c="dimmed" size="sm">
                    hidden
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end">
                    <Button size="xs" variant="default" onClick={() => setName(n)}>
                      Replace
                    </Button>
                    <ConfirmButton
                      size="xs"
                      label="Delete"
                      loading={remove.isPending && remove.variables === n}
                      onConfirm={() => remove.mutate(n)}
                      aria-label={`Delete secret ${n}`}
                    />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}

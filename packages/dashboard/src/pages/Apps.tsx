import { Anchor, Badge, Button, Group, Paper, Stack, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { useApps } from "../api/hooks";
import type { App } from "../api/types";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

/** Every app, and a form to create one. */
export default function Apps() {
  const apps = useApps();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: (n: string) => api<App>("/apps", { method: "POST", json: { name: n } }),
    onSuccess: async (app) => {
      await qc.invalidateQueries({ queryKey: ["apps"] });
      navigate(`/apps/${encodeURIComponent(app.id)}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name);
  };

  return (
    <>
      <PageHeader
        title="Apps"
        description="Each app has its own functions, data, users and secrets."
      />
      <Paper withBorder p="md" mb="md">
        <form onSubmit={submit}>
          <Group align="flex-end" gap="sm">
            <TextInput
              label="New app"
              placeholder="shop"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
              style={{ flex: 1, minWidth: 180 }}
            />
            <Button type="submit" loading={create.isPending}>
              Create app
            </Button>
          </Group>
          {create.error && (
            <Stack mt="sm">
              <ErrorAlert error={create.error} title="Cannot create the app" />
            </Stack>
          )}
        </form>
      </Paper>
      <ErrorAlert error={apps.error} />
      {apps.data?.length === 0 && (
        <EmptyState title="No apps yet">
          Create one above, or with <code>fnbase apps create</code>.
        </EmptyState>
      )}
      {apps.data && apps.data.length > 0 && (
        <Table.ScrollContainer minWidth={480}>
          <Table highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Id</Table.Th>
                <Table.Th>Functions</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {apps.data.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Group gap="xs">
                      <Anchor component={Link} href={`/apps/${encodeURIComponent(a.id)}`}>
                        {a.name}
                      </Anchor>
                      {a.default && (
                        <Badge size="xs" variant="outline">
                          default
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {a.id}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={a.functions_enabled ? "teal" : "gray"} variant="light">
                      {a.functions_enabled ? "enabled" : "disabled"}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{when(a.created_date)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

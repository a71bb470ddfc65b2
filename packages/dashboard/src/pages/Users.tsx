import { Button, Group, Paper, Select, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import type { User } from "../api/types";
import { ConfirmButton } from "../components/ConfirmButton";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

/** The app's users with their roles: change a role, remove a user, invite one by email. */
export default function Users({ appId }: { appId: string }) {
  const qc = useQueryClient();
  const path = `/apps/${encodeURIComponent(appId)}/entities/User`;
  const users = useQuery({
    queryKey: ["users", appId],
    queryFn: () => api<User[]>(`${path}?sort=-created_date&limit=500`),
  });
  const setRole = useMutation({
    mutationFn: (u: { id: string; role: string }) =>
      api(`${path}/${encodeURIComponent(u.id)}`, { method: "PUT", json: { role: u.role } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["users", appId] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`${path}/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["users", appId] }),
  });
  const [email, setEmail] = useState("");
  const [role, setInviteRole] = useState("user");
  const invite = useMutation({
    mutationFn: () =>
      api(`/apps/${encodeURIComponent(appId)}/users/invite-user`, {
        method: "POST",
        json: { user_email: email, role },
      }),
    onSuccess: () => {
      notifications.show({ color: "teal", message: `Invitation sent to ${email}` });
      setEmail("");
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };

  return (
    <>
      <PageHeader
        title="Users"
        description="People who sign up or are invited to this app, and their roles."
      />
      <Paper withBorder p="md" mb="md">
        <form onSubmit={submit}>
          <Group align="flex-end" gap="sm">
            <TextInput
              label="Invite by email"
              type="email"
              placeholder="ada@example.com"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              required
              style={{ flex: 1, minWidth: 200 }}
            />
            <Select
              label="Role"
              data={["user", "admin"]}
              value={role}
              onChange={(v) => v && setInviteRole(v)}
              allowDeselect={false}
              w={110}
            />
            <Button type="submit" loading={invite.isPending}>
              Invite
            </Button>
          </Group>
          {invite.error && <ErrorAlert error={invite.error} title="Cannot invite" />}
        </form>
      </Paper>
      <ErrorAlert error={users.error ?? setRole.error ?? remove.error} />
      {users.data?.length === 0 && (
        <EmptyState title="No users yet">
          They appear here when they sign up (auth.register) or accept an invitation.
        </EmptyState>
      )}
      {users.data && users.data.length > 0 && (
        <Table.ScrollContainer minWidth={520}>
          <Table verticalSpacing="sm" data-testid="users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Joined</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>{u.email}</Table.Td>
                  <Table.Td>{u.full_name ?? <Text c="dimmed">—</Text>}</Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={`Role of ${u.email}`}
                      data={["user", "admin"]}
                      value={u.role}
                      onChange={(v) => v && v !== u.role && setRole.mutate({ id: u.id, role: v })}
                      allowDeselect={false}
                      size="xs"
                      w={100}
                    />
                  </Table.Td>
                  <Table.Td>{when(u.created_date)}</Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      size="xs"
                      label="Remove"
                      onConfirm={() => remove.mutate(u.id)}
                      aria-label={`Remove ${u.email}`}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

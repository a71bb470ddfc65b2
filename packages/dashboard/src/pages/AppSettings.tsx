import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import { useApp, useFunctions } from "../api/hooks";
import type { App } from "../api/types";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

type Patch = Partial<
  Pick<App, "name" | "functions_enabled" | "cors_origins" | "domains" | "egress_allow">
>;

/** An app at a glance, and its settings (`PATCH /api/apps/{id}`). */
export default function AppSettings({ appId, admin }: { appId: string; admin: boolean }) {
  const app = useApp(appId);
  const fns = useFunctions(appId);
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [cors, setCors] = useState<string[]>([]);
  const [domains, setDomains] = useState<string[]>([]);
  const [egress, setEgress] = useState<string[]>([]);
  useEffect(() => {
    if (!app.data) return;
    setName(app.data.name);
    setCors(app.data.cors_origins);
    setDomains(app.data.domains);
    setEgress(app.data.egress_allow);
  }, [app.data]);

  const save = useMutation({
    mutationFn: (patch: Patch) =>
      api<App>(`/apps/${encodeURIComponent(appId)}`, { method: "PATCH", json: patch }),
    onSuccess: (updated) => {
      qc.setQueryData(["apps", appId], updated);
      void qc.invalidateQueries({ queryKey: ["apps"], exact: true });
      notifications.show({ color: "teal", message: "Settings saved" });
    },
  });

  if (app.error) return <ErrorAlert error={app.error} />;
  if (!app.data) return null;
  const a = app.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const patch: Patch = { name, cors_origins: cors, domains };
    if (admin) patch.egress_allow = egress;
    save.mutate(patch);
  };
  const base = `/apps/${encodeURIComponent(appId)}`;

  return (
    <>
      <PageHeader
        title={a.name}
        description={
          <>
            App <Code>{a.id}</Code> · created {when(a.created_date)}
          </>
        }
      >
        {a.default && <Badge variant="outline">default app</Badge>}
      </PageHeader>
      <SimpleGrid cols={{ base: 1, sm: 3 }} mb="md">
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Functions deployed
          </Text>
          <Title order={3}>{fns.data?.length ?? "…"}</Title>
          <Anchor component={Link} href={`${base}/functions`} size="sm">
            See functions
          </Anchor>
        </Paper>
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Invoke URL
          </Text>
          <Text size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>
            {location.origin}/api/apps/{a.id}/functions/&lt;name&gt;
          </Text>
        </Paper>
        <Paper withBorder p="md">
          <Text size="xs" c="dimmed">
            Link a project
          </Text>
          <Code block>fnbase link {a.id}</Code>
        </Paper>
      </SimpleGrid>

      <Paper withBorder p="md" mb="md">
        <Title order={4} mb="sm">
          Backend functions
        </Title>
        <Switch
          label="Functions enabled"
          description="When off, every invocation of this app's functions answers 403 FUNCTIONS_DISABLED"
          checked={a.functions_enabled}
          disabled={save.isPending}
          onChange={(e) => save.mutate({ functions_enabled: e.currentTarget.checked })}
        />
      </Paper>

      <Paper withBorder p="md">
        <form onSubmit={submit}>
          <Stack>
            <Title order={4}>Settings</Title>
            <TextInput
              label="Name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
            />
            <TagsInput
              label="CORS origins"
              description="Origins whose browser pages may call the functions (Enter after each); * allows any"
              placeholder="https://app.example.com"
              value={cors}
              onChange={setCors}
              clearable
            />
            <TagsInput
              label="Domains"
              description="Host names that serve this app at /functions/*"
              placeholder="shop.example.com"
              value={domains}
              onChange={setDomains}
              clearable
            />
            <TagsInput
              label="Network allow-list (egress_allow)"
              description={
                admin
                  ? "Hosts, addresses and ranges the functions may reach beyond the public internet"
                  : "Only the admin key may change it: it opens this host's network to the app"
              }
              placeholder="db.internal:5432"
              value={egress}
              onChange={setEgress}
              disabled={!admin}
              clearable
            />
            <Alert variant="light" color="gray" title="Limits and the default app">
              <Text size="sm">
                A function's time and memory limits come with its deploy (
                <Code>timeout_seconds</Code>, <Code>memory_mb</Code>; see Functions); the body limit
                and defaults are the server's (<Code>fnbase server --help</Code>). The default app
                is the first app created unless the server starts with <Code>--default-app</Code>
                {a.default ? ": this is it." : "."}
              </Text>
            </Alert>
            <ErrorAlert error={save.error} title="Cannot save" />
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save settings
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </>
  );
}

import {
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { useLocation } from "wouter";
import { signIn } from "../api/session";
import { ErrorAlert } from "../components/ErrorAlert";

/** Sign-in with a workspace or admin API key, or as an app's admin with email and password. */
export function SignIn({ next, code }: { next: string; code?: string }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [tab, setTab] = useState<string | null>("key");
  const [key, setKey] = useState("");
  const [appId, setAppId] = useState(() => /^\/apps\/([^/?]+)/.exec(next)?.[1] ?? "");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  // A one-time link signs in by itself, once.
  useEffect(() => {
    if (code === undefined) return;
    signIn({ code })
      .then((info) => {
        qc.setQueryData(["session"], info);
        navigate(next, { replace: true });
      })
      .catch((err: unknown) => {
        setError(err);
        navigate(next, { replace: true });
      });
  }, [code, next, qc, navigate]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const info = await signIn(
        tab === "key" ? { api_key: key } : { app_id: decodeURIComponent(appId), email, password },
      );
      qc.setQueryData(["session"], info);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="lg" radius="md" w="100%" maw={420}>
        <form onSubmit={submit}>
          <Stack>
            <div>
              <Title order={2}>fnbase</Title>
              <Text c="dimmed" size="sm">
                Sign in to the dashboard
              </Text>
            </div>
            <Tabs value={tab} onChange={setTab} keepMounted={false}>
              <Tabs.List grow>
                <Tabs.Tab value="key">With a key</Tabs.Tab>
                <Tabs.Tab value="user">As an app admin</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="key" pt="md">
                <PasswordInput
                  label="API key"
                  description="The admin key the server printed at first start, or a workspace key"
                  placeholder="b44k_…"
                  value={key}
                  onChange={(e) => setKey(e.currentTarget.value)}
                  autoComplete="current-password"
                  required={tab === "key"}
                  data-autofocus
                />
              </Tabs.Panel>
              <Tabs.Panel value="user" pt="md">
                <Stack gap="sm">
                  <TextInput
                    label="App id"
                    value={appId}
                    onChange={(e) => setAppId(e.currentTarget.value)}
                    required={tab === "user"}
                  />
                  <TextInput
                    label="Email"
                    type="email"
                    autoComplete="username"
                    value={email}
                    onChange={(e) => setEmail(e.currentTarget.value)}
                    required={tab === "user"}
                  />
                  <PasswordInput
                    label="Password"
                    autoComplete="current-password"
                    value={password}
                    onChange={(e) => setPassword(e.currentTarget.value)}
                    required={tab === "user"}
                  />
                  <Text size="xs" c="dimmed">
                    For users with the admin role of this app: data, users and the invoke console.
                  </Text>
                </Stack>
              </Tabs.Panel>
            </Tabs>
            <ErrorAlert error={error} title="Cannot sign in" />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}

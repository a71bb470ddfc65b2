import {
  Anchor,
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Select,
  Text,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useApps } from "../api/hooks";
import { type SessionInfo, useSignOut } from "../api/session";

/** The pages of an app, in the order of the menu; `key`: needs an API key session. */
export const APP_PAGES = [
  { path: "", label: "Overview & settings", key: true },
  { path: "/functions", label: "Functions", key: true },
  { path: "/invoke", label: "Invoke", key: false },
  { path: "/logs", label: "Logs", key: true },
  { path: "/metrics", label: "Metrics", key: true },
  { path: "/secrets", label: "Secrets", key: true },
  { path: "/data", label: "Data", key: true },
  { path: "/users", label: "Users", key: false },
  { path: "/automations", label: "Automations", key: true },
] as const;

function currentApp(location: string): string | undefined {
  const m = /^\/apps\/([^/]+)/.exec(location);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** The frame of every page: header with the app picker and sign-out, the menu, the page. */
export function Layout({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const [location, navigate] = useLocation();
  const signOut = useSignOut();
  const isKey = session.kind === "key";
  const apps = useApps(isKey);
  const appId = currentApp(location) ?? (isKey ? undefined : session.app_id);
  const base = appId ? `/apps/${encodeURIComponent(appId)}` : "";
  const pages = APP_PAGES.filter((p) => isKey || !p.key);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="xs">
          <Group gap="xs" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? "Close the menu" : "Open the menu"}
            />
            <Anchor component={Link} href="/" fw={700} underline="never" c="inherit">
              fnbase
            </Anchor>
            {isKey && apps.data && apps.data.length > 0 && (
              <Select
                aria-label="App"
                placeholder="Pick an app"
                size="xs"
                w={{ base: 130, sm: 200 }}
                data={apps.data.map((a) => ({ value: a.id, label: a.name }))}
                value={appId ?? null}
                onChange={(v) => v && navigate(`/apps/${encodeURIComponent(v)}`)}
                allowDeselect={false}
                comboboxProps={{ withinPortal: true }}
              />
            )}
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Badge variant="light" visibleFrom="xs" tt="none" data-testid="who">
              {session.kind === "key"
                ? `${session.admin ? "admin key" : "workspace key"} ${session.key_prefix}…`
                : session.user?.email}
            </Badge>
            <Button size="xs" variant="default" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Pages">
        <AppShell.Section grow component={ScrollArea}>
          {isKey && (
            <NavLink
              component={Link}
              href="/"
              label="All apps"
              active={location === "/"}
              onClick={close}
            />
          )}
          {appId && (
            <>
              <Text size="xs" c="dimmed" mt="sm" mb={4} px="sm" truncate>
                {apps.data?.find((a) => a.id === appId)?.name ?? appId}
              </Text>
              {pages.map((p) => {
                const href = `${base}${p.path}`;
                const active =
                  p.path === "" ? location === base : location.startsWith(`${base}${p.path}`);
                return (
                  <NavLink
                    key={p.path}
                    component={Link}
                    href={href}
                    label={p.label}
                    active={active}
                    onClick={close}
                  />
                );
              })}
            </>
          )}
          {session.admin && (
            <NavLink
              component={Link}
              href="/keys"
              label="API keys"
              mt="sm"
              active={location.startsWith("/keys")}
              onClick={close}
            />
          )}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

import { Center, Loader } from "@mantine/core";
import { lazy, Suspense } from "react";
import { Redirect, Route, Switch, useLocation, useSearch } from "wouter";
import { useSession } from "./api/session";
import { ErrorAlert } from "./components/ErrorAlert";
import { Layout } from "./components/Layout";
import { SignIn } from "./pages/SignIn";

const Apps = lazy(() => import("./pages/Apps"));
const AppSettings = lazy(() => import("./pages/AppSettings"));
const Functions = lazy(() => import("./pages/Functions"));
const FunctionDetail = lazy(() => import("./pages/FunctionDetail"));
const Invoke = lazy(() => import("./pages/Invoke"));
const Logs = lazy(() => import("./pages/Logs"));
const Metrics = lazy(() => import("./pages/Metrics"));
const Secrets = lazy(() => import("./pages/Secrets"));
const Data = lazy(() => import("./pages/Data"));
const Users = lazy(() => import("./pages/Users"));
const Automations = lazy(() => import("./pages/Automations"));
const ApiKeys = lazy(() => import("./pages/ApiKeys"));

const loading = (
  <Center h={200}>
    <Loader aria-label="Loading" />
  </Center>
);

/** The routes, behind the sign-in: a signed-out visitor signs in, then lands where they were going. */
export function App() {
  const session = useSession();
  const [location] = useLocation();
  const search = useSearch();
  if (session.isPending) return loading;
  if (session.error) return <ErrorAlert error={session.error} />;
  // A one-time sign-in link (`fnbase dev` prints one) carries ?code=; the page never keeps it.
  const params = new URLSearchParams(search);
  const code = params.get("code") ?? undefined;
  params.delete("code");
  const rest = params.size > 0 ? `?${params}` : "";
  if (!session.data) return <SignIn next={`${location}${rest}`} code={code} />;
  if (code !== undefined) return <Redirect to={`${location}${rest}`} replace />;
  const s = session.data;
  const app = (render: (appId: string) => React.ReactNode) => (params: { appId?: string }) =>
    render(decodeURIComponent(params.appId ?? ""));
  return (
    <Layout session={s}>
      <Suspense fallback={loading}>
        <Switch>
          <Route path="/">
            {s.kind === "key" ? <Apps /> : <Redirect to={`/apps/${s.app_id}/users`} />}
          </Route>
          <Route path="/keys">{s.admin ? <ApiKeys /> : <Redirect to="/" />}</Route>
          <Route path="/apps/:appId">
            {app((id) => (
              <AppSettings appId={id} admin={s.admin} />
            ))}
          </Route>
          <Route path="/apps/:appId/functions">
            {app((id) => (
              <Functions appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/functions/*">
            {(p: { appId?: string; "*"?: string }) => (
              <FunctionDetail
                appId={decodeURIComponent(p.appId ?? "")}
                name={decodeURIComponent(p["*"] ?? "")}
              />
            )}
          </Route>
          <Route path="/apps/:appId/invoke">
            {app((id) => (
              <Invoke appId={id} session={s} />
            ))}
          </Route>
          <Route path="/apps/:appId/logs">
            {app((id) => (
              <Logs appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/metrics">
            {app((id) => (
              <Metrics appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/secrets">
            {app((id) => (
              <Secrets appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/data">
            {app((id) => (
              <Data appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/data/:entity">
            {(p: { appId?: string; entity?: string }) => (
              <Data
                appId={decodeURIComponent(p.appId ?? "")}
                entity={decodeURIComponent(p.entity ?? "")}
              />
            )}
          </Route>
          <Route path="/apps/:appId/users">
            {app((id) => (
              <Users appId={id} />
            ))}
          </Route>
          <Route path="/apps/:appId/automations">
            {app((id) => (
              <Automations appId={id} />
            ))}
          </Route>
          <Route>
            <ErrorAlert title="Not found" error={new Error(`No dashboard page at ${location}`)} />
          </Route>
        </Switch>
      </Suspense>
    </Layout>
  );
}

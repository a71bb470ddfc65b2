import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, csrfToken, errorOf, setCsrfToken } from "./client";

/** Who is signed in, as `GET /_/session` answers it. */
export interface SessionInfo {
  csrf_token: string;
  kind: "key" | "user";
  /** The admin key (operator settings, API keys). */
  admin: boolean;
  key_prefix?: string;
  app_id?: string;
  user?: { id: string; email: string };
  expires_at: string;
}

async function sessionRequest(method: string, body?: unknown): Promise<SessionInfo | null> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch("/_/session", {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (method === "GET" && res.status === 401) {
    setCsrfToken(undefined);
    return null;
  }
  if (!res.ok) throw await errorOf(res);
  const info = (await res.json()) as SessionInfo;
  setCsrfToken(info.csrf_token);
  return info;
}

/** The current session (null when signed out), kept by TanStack Query under `["session"]`. */
export function useSession() {
  return useQuery({
    queryKey: ["session"],
    queryFn: () => sessionRequest("GET"),
    staleTime: 60_000,
    retry: false,
  });
}

/** Signs in with an API key, an app admin's email and password, or a one-time link's code. */
export async function signIn(
  body:
    | { api_key: string }
    | { app_id: string; email: string; password: string }
    | { code: string },
): Promise<SessionInfo> {
  const info = await sessionRequest("POST", body);
  if (!info) throw new ApiError(401, "SESSION_REQUIRED", "Sign-in failed");
  return info;
}

/** Signs out (the server ends the session and clears its cookie). */
export function useSignOut() {
  const qc = useQueryClient();
  return async () => {
    await fetch("/_/session", {
      method: "DELETE",
      headers: { "x-csrf-token": csrfToken() ?? "" },
      credentials: "same-origin",
    }).catch(() => undefined);
    setCsrfToken(undefined);
    qc.clear();
    qc.setQueryData(["session"], null);
  };
}

import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { App, FunctionInfo } from "./types";

/** Every app (`GET /api/apps`). */
export function useApps(enabled = true) {
  return useQuery({ queryKey: ["apps"], queryFn: () => api<App[]>("/apps"), enabled });
}

/** One app (`GET /api/apps/{id}`). */
export function useApp(appId: string) {
  return useQuery({
    queryKey: ["apps", appId],
    queryFn: () => api<App>(`/apps/${encodeURIComponent(appId)}`),
  });
}

/** The app's deployed functions, code included (`GET backend-functions`). */
export function useFunctions(appId: string) {
  return useQuery({
    queryKey: ["functions", appId],
    queryFn: async () =>
      (
        await api<{ functions: FunctionInfo[] }>(
          `/apps/${encodeURIComponent(appId)}/backend-functions`,
        )
      ).functions,
  });
}

import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import "./styles.css";
import { createTheme, MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Router } from "wouter";
import { App } from "./App";
import { ApiError, whenSessionLost } from "./api/client";

// The server's policy allows <style> elements only with this answer's nonce.
const nonce =
  document.querySelector<HTMLMetaElement>('meta[name="fnbase-style-nonce"]')?.content ?? "";

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // A coded 4xx will not change on its own; a network blip may.
      retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
      refetchOnWindowFocus: false,
    },
  },
});
whenSessionLost(() => queries.setQueryData(["session"], null));

const theme = createTheme({
  primaryColor: "teal",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  fontFamilyMonospace: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace",
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce} defaultColorScheme="auto">
      <Notifications position="top-right" />
      <QueryClientProvider client={queries}>
        <Router base="/_">
          <App />
        </Router>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);

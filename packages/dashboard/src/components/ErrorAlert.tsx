import { Alert, Code, Text } from "@mantine/core";
import { ApiError } from "../api/client";

/** An error as the server gave it: its message, its `code` and its `hint`. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  return (
    <Alert color="red" variant="light" title={title ?? "Something went wrong"} role="alert">
      <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
      {e && (
        <Text size="xs" mt={4} c="dimmed">
          <Code data-testid="error-code">{e.code}</Code> · HTTP {e.status}
        </Text>
      )}
      {e?.hint && (
        <Text size="sm" mt={4}>
          {e.hint}
        </Text>
      )}
    </Alert>
  );
}

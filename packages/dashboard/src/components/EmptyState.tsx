import { Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

/** What a page shows when there is nothing yet, and how to get something there. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="md">
      <Stack gap="xs" align="center" ta="center">
        <Title order={4}>{title}</Title>
        {children && (
          <Text c="dimmed" size="sm" component="div">
            {children}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

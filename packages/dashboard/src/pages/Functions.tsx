import { Anchor, Badge, Code, Table, Text } from "@mantine/core";
import { Link } from "wouter";
import { encodePath } from "../api/client";
import { useFunctions } from "../api/hooks";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { short, when } from "../components/format";
import { PageHeader } from "../components/PageHeader";

/** The app's deployed functions with their current deployment and limits. */
export default function Functions({ appId }: { appId: string }) {
  const fns = useFunctions(appId);
  const base = `/apps/${encodeURIComponent(appId)}`;
  return (
    <>
      <PageHeader
        title="Functions"
        description="What is deployed now; open one for its code and history."
      />
      <ErrorAlert error={fns.error} />
      {fns.data?.length === 0 && (
        <EmptyState title="No functions deployed">
          Put a function in <Code>base44/functions/&lt;name&gt;/entry.ts</Code>, then run{" "}
          <Code>fnbase deploy</Code> (or <Code>base44 deploy</Code>) in the project.
        </EmptyState>
      )}
      {fns.data && fns.data.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Deployment</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th>Limits</Table.Th>
                <Table.Th>Automations</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fns.data.map((f) => (
                <Table.Tr key={f.name}>
                  <Table.Td>
                    <Anchor component={Link} href={`${base}/functions/${encodePath(f.name)}`}>
                      {f.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {short(f.deployment_id)}
                    </Text>
                  </Table.Td>
                  <Table.Td>{when(f.updated_date)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {f.timeout_seconds === null ? "default time" : `${f.timeout_seconds} s`} ·{" "}
                      {f.memory_mb === null ? "default memory" : `${f.memory_mb} MB`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {f.automations.length > 0 ? (
                      <Badge variant="light">{f.automations.length}</Badge>
                    ) : (
                      "—"
                    )}
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

import { Group, Paper, SegmentedControl, Select, SimpleGrid, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api } from "../api/client";
import type { Series, SeriesColumns } from "../api/types";
import { Chart, type ChartSeries } from "../components/Chart";
import { EmptyState } from "../components/EmptyState";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";

const ALL = "__all__";

/** Charts of the last hour or day: invocations and errors, p50/p95 latency, cold starts, memory. */
export default function Metrics({ appId }: { appId: string }) {
  const [range, setRange] = useState("1h");
  const [fn, setFn] = useState(ALL);
  const series = useQuery({
    queryKey: ["series", appId, range],
    queryFn: () => api<Series>(`/apps/${encodeURIComponent(appId)}/metrics/series?range=${range}`),
    refetchInterval: 15_000,
  });
  const cols: SeriesColumns | undefined =
    fn === ALL ? series.data?.total : series.data?.functions[fn];
  const charts = useMemo(() => {
    if (!cols) return undefined;
    const c = (
      label: string,
      color: string,
      values: (number | null)[],
      bars = false,
    ): ChartSeries => ({
      label,
      color,
      values,
      bars,
    });
    return {
      calls: [
        c("Invocations", "#12b886", cols.invocations, true),
        c("5xx errors", "#fa5252", cols.errors, true),
      ],
      latency: [c("p50", "#228be6", cols.p50_ms), c("p95", "#7950f2", cols.p95_ms)],
      cold: [c("Cold starts", "#fd7e14", cols.cold_starts, true)],
      memory: [c("Memory", "#15aabf", cols.memory_mb)],
    };
  }, [cols]);
  const names = Object.keys(series.data?.functions ?? {}).sort();
  const total = cols?.invocations.reduce((a, b) => a + b, 0) ?? 0;

  return (
    <>
      <PageHeader
        title="Metrics"
        description="Since the server started, kept for a day; refreshed every 15 s."
      >
        <Group gap="xs">
          <Select
            aria-label="Function"
            data={[
              { value: ALL, label: "All functions" },
              ...names.map((n) => ({ value: n, label: n })),
            ]}
            value={fn}
            onChange={(v) => v && setFn(v)}
            allowDeselect={false}
            w={180}
          />
          <SegmentedControl
            aria-label="Range"
            value={range}
            onChange={setRange}
            data={[
              { value: "1h", label: "Last hour" },
              { value: "24h", label: "Last day" },
            ]}
          />
        </Group>
      </PageHeader>
      <ErrorAlert error={series.error} />
      {series.data && names.length === 0 && (
        <EmptyState title="No calls yet">
          Invoke a function and its numbers show up here.
        </EmptyState>
      )}
      {series.data && charts && names.length > 0 && (
        <>
          <Text size="sm" c="dimmed" mb="sm">
            {total} invocations in this range, in steps of {series.data.step_seconds / 60} min.
          </Text>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Paper withBorder p="xs">
              <Chart
                title="Invocations and 5xx errors"
                unit=""
                times={series.data.times}
                series={charts.calls}
              />
            </Paper>
            <Paper withBorder p="xs">
              <Chart title="Latency" unit=" ms" times={series.data.times} series={charts.latency} />
            </Paper>
            <Paper withBorder p="xs">
              <Chart title="Cold starts" unit="" times={series.data.times} series={charts.cold} />
            </Paper>
            <Paper withBorder p="xs">
              <Chart
                title="Memory (instances together)"
                unit=" MB"
                times={series.data.times}
                series={charts.memory}
              />
            </Paper>
          </SimpleGrid>
        </>
      )}
    </>
  );
}

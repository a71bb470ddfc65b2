import { useElementSize } from "@mantine/hooks";
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One line of a chart: its label, colour and values (null: no data at that time). */
export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Drawn as bars (counts) rather than a line. */
  bars?: boolean;
}

/**
 * A time chart with uPlot: `times` in epoch seconds, one or more series, the width of its box.
 * The chart is remade when its data or width change (uPlot draws a few thousand points in
 * well under a millisecond; keeping it simple beats patching it).
 */
export function Chart({
  title,
  unit,
  times,
  series,
}: {
  title: string;
  unit: string;
  times: number[];
  series: ChartSeries[];
}) {
  const { ref: box, width } = useElementSize();
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = target.current;
    if (!el || width === 0) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const plot = new uPlot(
      {
        title,
        width,
        height: 220,
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { stroke: "#888", grid: { stroke: "rgba(128,128,128,0.15)" } },
          {
            stroke: "#888",
            grid: { stroke: "rgba(128,128,128,0.15)" },
            size: 72,
            values: (_u, ticks) => ticks.map((v) => `${+v.toFixed(2)}${unit}`),
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            fill: s.bars ? `${s.color}99` : undefined,
            // Points too, so that a value between two gaps (one minute of data) shows.
            ...(s.bars && bars
              ? { paths: bars, points: { show: false } }
              : { spanGaps: false, points: { show: true, size: 5 } }),
          })),
        ],
        legend: { show: true },
      },
      [times, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [title, unit, times, series, width]);
  return (
    <div ref={box} className="chart">
      <div ref={target} role="img" aria-label={`${title} chart`} />
    </div>
  );
}

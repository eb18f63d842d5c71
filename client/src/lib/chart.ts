// What the loss charts (LossChart, CompareChart) share: whether uPlot can draw here, the
// page's colours for lines and axes, and the options both draw with.
import type uPlot from 'uplot';

/** jsdom and very old engines have no 2D canvas: a chart then shows its caption only. */
export function canDraw(): boolean {
  try {
    return typeof window.matchMedia === 'function' && !!document.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

/** A colour token of the page (`--accent`…), or `fallback` (its light value) where it is unset. */
export function cssColor(css: CSSStyleDeclaration, token: string, fallback: string): string {
  return css.getPropertyValue(token).trim() || fallback;
}

/** The look of a uPlot axis: muted labels, grid and ticks in the border colour. */
function axisStyle(css: CSSStyleDeclaration) {
  const grid = cssColor(css, '--border', '#d8dce3');
  return {
    stroke: cssColor(css, '--text-muted', '#5b6270'),
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
}

/** A loss chart's uPlot options: `width` by `height`, no drag-to-zoom, a numeric x axis (`x`
 * adds its label and ticks) and the loss axis beside it, in the page's axis colours. */
export function chartOptions(
  css: CSSStyleDeclaration,
  chart: { width: number; height: number; legend: boolean; x: uPlot.Axis; series: uPlot.Series[] },
): uPlot.Options {
  const axis = axisStyle(css);
  return {
    width: chart.width,
    height: chart.height,
    legend: { show: chart.legend },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { ...axis, ...chart.x },
      { ...axis, size: 56 },
    ],
    series: chart.series,
  };
}

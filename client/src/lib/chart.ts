// What the loss charts (LossChart, CompareChart) share: whether uPlot can draw here, and the
// page's colours for lines and axes.

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
export function axisStyle(css: CSSStyleDeclaration) {
  const grid = cssColor(css, '--border', '#d8dce3');
  return {
    stroke: cssColor(css, '--text-muted', '#5b6270'),
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
}

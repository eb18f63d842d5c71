import '@testing-library/jest-dom/vitest';
import { vi } from 'vitest';

// uPlot draws on a 2D canvas, which jsdom does not have: tests see a stand-in that records
// what it was given. LossChart's data-points attribute is what tests read.
vi.mock('uplot', () => {
  class FakePlot {
    data: unknown;
    constructor(_opts: unknown, data: unknown) {
      this.data = data;
    }
    setData(data: unknown) {
      this.data = data;
    }
    setSize() {}
    destroy() {}
  }
  return { default: FakePlot };
});

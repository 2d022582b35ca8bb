/** What every benchmark module exports, so bench/run.ts can run them in one go. */
export interface BenchOptions {
  /** The CI variant: fewer connections and frames, same code paths; nothing about time is asserted. */
  quick: boolean;
}

export interface BenchResult {
  title: string;
  /** Markdown: tables and a line or two of reading; goes into the run's report as it is. */
  body: string;
}

export type Bench = (options: BenchOptions) => Promise<BenchResult>;

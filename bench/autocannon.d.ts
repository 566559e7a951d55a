// The slice of autocannon's programmatic API the burst benchmark uses
// (autocannon ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    /** How often (ms) it takes a sample, and notices that `duration` is over (default 1000). */
    sampleInt?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
  }
  interface Result {
    requests: { total: number; average: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}

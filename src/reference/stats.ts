// Request counters, so keyprobe's tests can prove a run kept its request
// budget. Management (/admin) requests are not counted.

export interface TargetStats {
  /** Every non-admin request received, whatever its answer. */
  readonly requests: number;
  /** Requests whose credential opened a key (accepted or refused), by key id. */
  readonly byKey: Readonly<Record<string, number>>;
  /** Requests that presented no credential at all. */
  readonly anonymous: number;
  /** Requests refused by the rate limiter. */
  readonly throttled: number;
}

export class RequestStats {
  private requests = 0;
  private byKey = new Map<string, number>();
  private anonymous = 0;
  private throttled = 0;

  request(): void {
    this.requests += 1;
  }

  forKey(id: string): void {
    this.byKey.set(id, (this.byKey.get(id) ?? 0) + 1);
  }

  anonymousRequest(): void {
    this.anonymous += 1;
  }

  throttledRequest(): void {
    this.throttled += 1;
  }

  snapshot(): TargetStats {
    return {
      requests: this.requests,
      byKey: Object.fromEntries(this.byKey),
      anonymous: this.anonymous,
      throttled: this.throttled,
    };
  }

  reset(): void {
    this.requests = 0;
    this.byKey = new Map();
    this.anonymous = 0;
    this.throttled = 0;
  }
}

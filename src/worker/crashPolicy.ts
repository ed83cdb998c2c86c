/**
 * Decides whether a crashed worker is restarted: yes, unless it already crashed `maxCrashes`
 * times within `windowMs` — then it stays down until the user asks for a restart (`reset`), so a
 * worker that dies at start-up is never restarted in a loop.
 */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxCrashes = 3,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when another restart is allowed. */
  recordCrash(): boolean {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length < this.maxCrashes;
  }

  get recentCrashes(): number {
    const t = this.now();
    return this.crashes.filter((c) => t - c < this.windowMs).length;
  }

  reset(): void {
    this.crashes = [];
  }
}

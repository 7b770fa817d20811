/**
 * A FIFO async mutex. SQLite has one connection per store, and a transaction
 * whose callback awaits would otherwise let other callers' statements run
 * inside it; every SQLite call goes through this lock.
 */
export class Mutex {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /** True when nobody holds or waits for the lock, so a caller may run synchronously right now. */
  get idle(): boolean {
    return !this.held && this.waiters.length === 0;
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // Hand the lock straight to the next waiter so nobody can barge in between.
    if (next) next();
    else this.held = false;
  }
}

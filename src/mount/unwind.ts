/**
 * A stack of undo actions: every mount, temp directory or fd that a sequence creates is pushed
 * here, and a failure unwinds them newest first so that nothing is left behind.
 */
export class Unwinder {
  private readonly actions: Array<{ what: string; undo: () => void }> = [];

  /** Registers `undo` for something just created. */
  push(what: string, undo: () => void): void {
    this.actions.push({ what, undo });
  }

  /** Runs and forgets the most recent action registered under `what`. */
  runOne(what: string): void {
    for (let i = this.actions.length - 1; i >= 0; i--) {
      if (this.actions[i]!.what === what) {
        const [a] = this.actions.splice(i, 1);
        a!.undo();
        return;
      }
    }
  }

  /** Forgets the most recent action registered under `what` (ownership passed on). */
  drop(what: string): void {
    for (let i = this.actions.length - 1; i >= 0; i--) {
      if (this.actions[i]!.what === what) {
        this.actions.splice(i, 1);
        return;
      }
    }
  }

  /**
   * Undoes everything, newest first. Every action runs even when an earlier one fails; the
   * failures are returned (as `what: message`) for the caller to report.
   */
  unwind(): string[] {
    const failures: string[] = [];
    while (this.actions.length > 0) {
      const a = this.actions.pop()!;
      try {
        a.undo();
      } catch (e) {
        failures.push(`${a.what}: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    return failures;
  }

  /** Forgets every action: what was created stays (the sequence succeeded). */
  release(): void {
    this.actions.length = 0;
  }

  get size(): number {
    return this.actions.length;
  }
}

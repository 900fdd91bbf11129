/**
 * Where the process is in its life, as /ready tells the orchestrator: not ready while it starts
 * (migrations, the boot reconciliation) or stops (draining before it closes), ready in between
 * as long as the database answers.
 */
export type Phase = 'starting' | 'serving' | 'stopping';

export class Readiness {
  private readonly whenServing: Array<() => void> = [];

  constructor(private current: Phase = 'starting') {}

  get phase(): Phase {
    return this.current;
  }

  serving(): void {
    if (this.current !== 'starting') return;
    this.current = 'serving';
    for (const run of this.whenServing.splice(0)) run();
  }

  /** Runs `fn` once the boot is done (at once if it is): work that needs the migrated database. */
  onServing(fn: () => void): void {
    if (this.current === 'serving') fn();
    else if (this.current === 'starting') this.whenServing.push(fn);
  }

  /** For good: a process that began to stop never serves again. */
  stopping(): void {
    this.current = 'stopping';
  }
}

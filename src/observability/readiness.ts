/**
 * Where the process is in its life, as /ready tells the orchestrator: not ready while it starts
 * (migrations, the boot reconciliation) or stops (draining before it closes), ready in between
 * as long as the database answers.
 */
export type Phase = 'starting' | 'serving' | 'stopping';

export class Readiness {
  constructor(private current: Phase = 'starting') {}

  get phase(): Phase {
    return this.current;
  }

  serving(): void {
    if (this.current === 'starting') this.current = 'serving';
  }

  /** For good: a process that began to stop never serves again. */
  stopping(): void {
    this.current = 'stopping';
  }
}

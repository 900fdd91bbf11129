-- The reconciler's claim (PaymentsRepository.claimUnresolved) ORs several states, each with a
-- partial index of its own or none, so no index served the whole condition: at a million settled
-- payments it read the table (a sequential scan of 0.4 to 0.6 s per batch of 20, 30 s for a pass
-- over 1,000 unresolved rows). One partial index over every state the claim can take, ordered by
-- updated_at as the claim is; settled payments (succeeded, canceled, not superseded), nearly all
-- of the table, are not in it.
CREATE INDEX payments_reconcile_candidates_idx ON payments (updated_at)
  WHERE status IN ('unknown', 'processing', 'requires_action', 'requires_confirmation', 'requires_capture', 'requires_payment_method')
     OR pending_operation IS NOT NULL
     OR superseded_by IS NOT NULL;

-- Migration 020's payments_reconcile_candidates_idx covers every state these partial indexes were
-- made for (the reconciler's claim, the console's Needs attention), and the claim no longer uses
-- them; each was still kept up on every insert and update of a payment in its state.
DROP INDEX IF EXISTS payments_unresolved_idx;
DROP INDEX IF EXISTS payments_awaiting_customer_idx;
DROP INDEX IF EXISTS payments_given_up_idx;
DROP INDEX IF EXISTS payments_superseded_idx;
DROP INDEX IF EXISTS payments_awaiting_browser_idx;

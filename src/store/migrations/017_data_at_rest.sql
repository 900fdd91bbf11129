-- Personal data at rest: customer names and emails and cardholder names are kept AES-256-GCM-sealed
-- under DATA_ENCRYPTION_KEY (`enc:v1:<key id>:...`, bound to their table, column and row), and a
-- customer is found by a keyed hash of the email instead of the email itself.
--
-- The rows written before this migration are sealed by the service at boot (it holds the key,
-- SQL does not), in batches, resumably; `npm run rotate-key` does the same. The checks below are
-- NOT VALID: they refuse any new clear value at once, and the boot validates them once no clear
-- row is left.

-- HMAC-SHA256 of the normalised email under the email lookup key (below), hex: the lookup and the
-- one-customer-per-email rule. email_normalized stays only for rows not yet sealed.
ALTER TABLE customers ADD COLUMN email_hmac text CHECK (email_hmac ~ '^[0-9a-f]{64}$');
CREATE UNIQUE INDEX customers_email_hmac_idx ON customers (email_hmac);
ALTER TABLE customers ALTER COLUMN email_normalized DROP NOT NULL;

ALTER TABLE customers ADD CONSTRAINT customers_email_sealed CHECK (email LIKE 'enc:v1:%') NOT VALID;
ALTER TABLE customers ADD CONSTRAINT customers_name_sealed CHECK (name IS NULL OR name LIKE 'enc:v1:%') NOT VALID;
ALTER TABLE customers ADD CONSTRAINT customers_email_normalized_gone CHECK (email_normalized IS NULL) NOT VALID;
ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_cardholder_name_sealed
  CHECK (cardholder_name IS NULL OR cardholder_name LIKE 'enc:v1:%') NOT VALID;

-- Keys the service makes itself and keeps sealed under the data key: the email lookup key, random,
-- made once, so the email hashes stay the same when the data key rotates (rotate-key re-seals it).
CREATE TABLE sealed_keys (
  name       text PRIMARY KEY,
  sealed     text NOT NULL CHECK (sealed LIKE 'enc:v1:%'),
  created_at timestamptz NOT NULL DEFAULT now()
);

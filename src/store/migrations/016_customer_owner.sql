-- Whose customer this is, beside the email: the user id (the token's nameidentifier or sub) of
-- the customer token that created it. An email that changes hands at the Auth Service then does
-- not carry the saved cards and payments to the address's new holder. Null for customers created
-- by a service or an administrator, and for those created before: they are matched by email alone.
ALTER TABLE customers ADD COLUMN owner_subject text;

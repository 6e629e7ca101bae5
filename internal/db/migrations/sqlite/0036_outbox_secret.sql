-- A message whose body carries a link that grants access (an invitation,
-- a password reset, a subscription confirmation) is marked secret when it
-- is queued: the worker sends it, but no admin page shows its body,
-- headers or dedupe key. Messages queued before this column existed are
-- marked by their kind.
ALTER TABLE outbox ADD COLUMN secret BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE outbox SET secret = TRUE WHERE kind IN ('invite', 'password_reset', 'subscribe_confirm');

-- The language a subscriber subscribed in (package policies,
-- docs/public-pages.md): the confirmation email and every change notice
-- are written in it.
ALTER TABLE policy_subscriptions ADD COLUMN language TEXT NOT NULL DEFAULT 'en';

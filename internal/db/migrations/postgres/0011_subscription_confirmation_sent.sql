-- When the last confirmation email went to a subscription's address: at
-- most one goes a day (policies.ConfirmationEvery), however often the
-- form is sent, by however many instances. An unconfirmed subscription
-- got its last one when its link was made.
ALTER TABLE policy_subscriptions ADD COLUMN confirmation_sent_at TIMESTAMPTZ;
UPDATE policy_subscriptions SET confirmation_sent_at = created_at WHERE confirmed_at IS NULL;

-- Signed webhooks (package webhooks). An endpoint is a receiver's URL, the
-- events it subscribed to (space-separated names) and the secret its
-- deliveries are signed with: the secret must be readable to sign, so it is
-- stored as it is, shown to the admin once when the endpoint is added and
-- never again.
CREATE TABLE webhook_endpoints (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL UNIQUE,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER REFERENCES users(id)
);

-- The durable queue of deliveries: one row per event per endpoint, written
-- in the same transaction as the change that caused the event. A worker
-- claims due rows by stamping them with its token in one UPDATE (as the
-- mail outbox does), so two instances never send the same delivery; a
-- claim older than a few minutes was abandoned by a crash.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sending', 'delivered', 'retrying', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    delivered_at     TIMESTAMP,
    claim_token      TEXT,
    claimed_at       TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_claim ON webhook_deliveries(claim_token) WHERE claim_token IS NOT NULL;

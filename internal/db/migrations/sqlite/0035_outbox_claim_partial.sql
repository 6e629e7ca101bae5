-- Only a row being sent carries a claim token; the rest (nearly all, and
-- every row a reminder sweep queues) need no entry in its index.
DROP INDEX outbox_claim;
CREATE INDEX outbox_claim ON outbox(claim_token) WHERE claim_token IS NOT NULL;

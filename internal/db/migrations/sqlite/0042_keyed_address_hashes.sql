-- The hashes kept of former subscribers' addresses are keyed (an
-- HMAC-SHA-256 under the installation's "subscriber-hash" key) so that a
-- list of likely addresses cannot reverse them. Rows stored before are
-- unkeyed SHA-256 digests: keyed = FALSE marks them until the next
-- retention run re-keys them (the HMAC is taken over that digest, so no
-- address is needed); until then lookups match both forms.
ALTER TABLE suppressed_addresses ADD COLUMN keyed BOOLEAN NOT NULL DEFAULT FALSE;

-- The public transparency log (package translog): one row per leaf of an
-- append-only RFC 6962 Merkle tree, in order. data is exactly the bytes
-- hashed; (kind, ref) names what the leaf records, once.
CREATE TABLE translog_leaves (
    idx       BIGINT PRIMARY KEY,
    kind      TEXT NOT NULL,
    ref       TEXT NOT NULL,
    data      TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    added_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (kind, ref)
);

-- Policies in several languages (package policies, docs/public-pages.md).
-- policies.language is the authoritative language of every version of the
-- policy; policy_translations holds translations, each of one published
-- version, so a translation of an earlier version is always known as such.
-- policy_acknowledgements.language is the language a person was shown.
ALTER TABLE policies ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
CREATE TABLE policy_translations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id  INTEGER NOT NULL REFERENCES policy_versions(id),
    language    TEXT NOT NULL,
    title       TEXT NOT NULL,
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    key_points  TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (version_id, language)
);
ALTER TABLE policy_acknowledgements ADD COLUMN language TEXT NOT NULL DEFAULT '';

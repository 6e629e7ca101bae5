-- People: teams, users and their reporting tree.
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('employee', 'manager', 'admin', 'auditor')),
    team_id        INTEGER REFERENCES teams(id),
    manager_id     INTEGER REFERENCES users(id),
    hired_on       DATE,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at TIMESTAMP,
    password_hash  TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK (manager_id IS NULL OR manager_id <> id)
);
CREATE INDEX users_manager ON users(manager_id);
CREATE INDEX users_team ON users(team_id);

-- Reports. A covering index over current cycles lets the organisation
-- report count statuses without reading the table.
CREATE INDEX course_cycles_status ON course_cycles(course_id, user_id, exempt, exempt_at, completed_at, expires_at,
    lapses_at, due_at, started_at) WHERE closed_at IS NULL;

-- Compliance at past month ends, by manager and team of the people it
-- counts. History is written at the moment it happens, so a month that has
-- ended never changes; rows are recomputed only when the reporting tree or
-- teams change (roster_stamp).
CREATE TABLE report_trend_months (
    month_end   TIMESTAMPTZ NOT NULL,
    manager_id  BIGINT NOT NULL, -- 0: people with no manager
    team_id     BIGINT NOT NULL, -- 0: people with no team
    items       INTEGER NOT NULL,
    good        INTEGER NOT NULL,
    PRIMARY KEY (month_end, manager_id, team_id)
);

CREATE TABLE report_trend_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    roster_stamp  TEXT NOT NULL
);

-- Compliance at past month ends, person by person. History is written at
-- the moment it happens, so a month that has ended never changes; keeping
-- the rows by person (not by manager or team) means a change to the
-- reporting tree or to teams changes nothing here: reports group by the
-- tree and teams as they are today.
DROP TABLE report_trend_months;
DROP TABLE report_trend_state;

CREATE TABLE report_trend_months (
    month_end  TIMESTAMP NOT NULL,
    user_id    INTEGER NOT NULL,
    items      INTEGER NOT NULL,
    good       INTEGER NOT NULL,
    PRIMARY KEY (user_id, month_end)
) WITHOUT ROWID;

-- The month ends already computed, even those with nothing to count,
-- with the organisation's totals.
CREATE TABLE report_trend_computed (
    month_end  TIMESTAMP PRIMARY KEY,
    items      INTEGER NOT NULL,
    good       INTEGER NOT NULL
);

-- Reports read each person's latest acknowledgements by version (the
-- organisation) or by person (a manager's line); these indexes hold
-- everything those reads need.
CREATE INDEX policy_acknowledgements_version_user ON policy_acknowledgements(version_id, user_id, acknowledged_at);
CREATE INDEX policy_acknowledgements_user_version ON policy_acknowledgements(user_id, version_id, acknowledged_at);

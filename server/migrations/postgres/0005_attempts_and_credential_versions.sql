-- Each throttled attempt is counted before it is made, under an id, so that a burst of
-- parallel attempts cannot all pass the check before any of them is counted; a successful
-- attempt then takes its own count back.
ALTER TABLE throttle_events ADD COLUMN attempt TEXT;
CREATE INDEX throttle_events_attempt ON throttle_events (attempt);

-- Bumped at every password change. A session remembers the version it signed in with and
-- is refused once the version moves on.
ALTER TABLE users ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 0;

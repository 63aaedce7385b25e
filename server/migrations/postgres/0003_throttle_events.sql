-- Failed logins, sign-ups and the like, counted per bucket to throttle guessing. Kept in
-- the database (not in memory) so that every instance of the server counts the same.
CREATE TABLE throttle_events (
    bucket TEXT   NOT NULL,  -- e.g. "login:alice|203.0.113.9", "signup:203.0.113.9"
    at     BIGINT NOT NULL   -- Unix seconds
);
CREATE INDEX throttle_events_bucket_at ON throttle_events (bucket, at);
CREATE INDEX throttle_events_at ON throttle_events (at);

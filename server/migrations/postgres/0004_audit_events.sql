-- What happened to accounts and sessions: sign-ins and their failures, throttling,
-- sign-outs, expiries, revocations, password changes. Never a password, hash or session id.
CREATE TABLE audit_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,              -- Unix seconds
    event      TEXT   NOT NULL,              -- e.g. "login_failed"
    user_id    TEXT,                         -- the account, when known
    username   TEXT,                         -- as typed (for failures) or the account's
    ip         TEXT   NOT NULL DEFAULT '',
    user_agent TEXT   NOT NULL DEFAULT '',
    detail     TEXT   NOT NULL DEFAULT ''    -- e.g. how many sessions a change ended
);
CREATE INDEX audit_events_user_at ON audit_events (user_id, at);

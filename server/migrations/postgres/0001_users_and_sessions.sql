-- PostgreSQL twin of ../sqlite/0001: the same tables, in PostgreSQL's types.
-- Users: who can sign in. Usernames are unique without regard to case.
CREATE TABLE users (
    id            TEXT   PRIMARY KEY NOT NULL,  -- UUID v4
    username      TEXT   NOT NULL,              -- as the user typed it, for display
    password_hash TEXT   NOT NULL,              -- Argon2id PHC string
    created_at    BIGINT NOT NULL               -- Unix seconds
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Sessions (unless SESSION_STORE_URL puts them in Redis): one row per signed-in browser.
-- The id in the cookie is never stored, only its SHA-256.
CREATE TABLE sessions (
    id_hash    BYTEA  PRIMARY KEY NOT NULL,
    user_id    TEXT   REFERENCES users (id) ON DELETE CASCADE,
    data       TEXT   NOT NULL,                 -- tower-sessions record data, as JSON
    expires_at BIGINT NOT NULL                  -- Unix seconds; later than now while valid
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

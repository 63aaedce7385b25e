-- A disabled user cannot sign in, and their sessions stop working at the next request.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;  -- Unix seconds; NULL while enabled

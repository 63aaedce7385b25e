-- A disabled user cannot sign in, and their sessions stop working at the next request.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;  -- Unix seconds; NULL while enabled

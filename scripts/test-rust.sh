#!/usr/bin/env bash
# The Rust tests, on every store: everything on SQLite (the default), then the integration
# tests again on PostgreSQL and on PostgreSQL + Redis, then several instances and store
# outages. The PostgreSQL and Redis servers are started here and stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

trap 'scripts/test-stores.sh stop' EXIT
eval "$(scripts/test-stores.sh start | sed 's/^/export /')"

step() { printf '\n[test-rust] %s\n' "$*"; }
# Every run names the same packages, so that cargo resolves the same features each time
# and builds nothing twice.
packages=(-p app -p server)
step "unit tests, and the integration tests on SQLite"
cargo test --release "${packages[@]}" --lib --bins --test api --test logging
step "the integration tests on PostgreSQL"
SESAME_TEST_STORE=postgres cargo test --release "${packages[@]}" --test api
step "the integration tests on PostgreSQL + Redis"
SESAME_TEST_STORE=redis cargo test --release "${packages[@]}" --test api
step "two instances, and stores that go away"
cargo test --release "${packages[@]}" --test instances

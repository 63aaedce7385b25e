//! Several server instances sharing PostgreSQL and Redis behave as one, and a store that
//! goes away gets 503s, never a wrong answer, until it is back.
//!
//! Each instance is the real `sesame` binary in a process of its own. The cross-instance
//! tests run on the PostgreSQL and Redis servers that `make test` starts
//! (`SESAME_TEST_POSTGRES`, `SESAME_TEST_REDIS`), with sessions in PostgreSQL and then in
//! Redis. The outage tests start PostgreSQL and Redis servers of their own, from Debian's
//! packages, so that they can stop them mid-test.
//!
//! No instance caches sessions or users in memory: each request reads the store, so the
//! worst-case staleness across instances is nil, which these tests check at the very next
//! request.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod across;
mod fixtures;
mod outages;

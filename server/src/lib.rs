//! Sesame's server, as a library so that tests can start the real thing on port 0.
//!
//! - [`config`]: settings from the environment; [`cli`]: the `sesame` command;
//! - [`startup`]: how the pieces are put together;
//! - [`session_store`]: where session records live (hashed ids, user index);
//! - [`cookie_policy`]: the session cookie's name and attributes;
//! - [`pages`]: page requests (who is signed in, then render);
//! - [`forgery`]: state-changing requests must come from our own pages;
//! - [`api`]: the HTTP contract of `/api/*` (status codes, redirects, limits).

pub mod api;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod cookie_policy;
pub mod db;
pub mod forgery;
pub mod headers;
pub mod housekeeping;
pub mod pages;
pub mod serve;
pub mod session_store;
pub mod startup;
pub mod telemetry;

pub use startup::Server;

//! Integration tests: the real server on port 0, a real SQLite file, plain HTTP.
//! One binary, one module per part of the contract.

mod helpers;

mod account;
mod audit;
mod bad_input;
mod cli;
mod concurrency;
mod cookie;
mod expiry;
mod forgery;
mod headers;
mod login;
mod logout;
mod next;
mod pages;
mod restart;
mod sessions;
mod signup;
mod throttle;

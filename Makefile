# Sesame's two commands:
#   make run    set up what this machine lacks, build, and serve on http://127.0.0.1:3000
#   make test   set up, build, and run every test (Rust and browser)
# Repeat runs only redo what changed.

SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test bench build frontend server setup-build setup-test test-rust test-e2e fmt lint clean

run: build
	./target/release/sesame

# `cargo test` builds the server binary too (with the tests' dependencies unified in), and
# the browser tests use that binary: one server build instead of two on a cold run.
test: setup-test lint frontend test-rust test-e2e

build: frontend server

# Not part of `make test`: measures, prints a table of ratios (see bench/run.py).
bench:
	@scripts/setup.sh bench
	python3 bench/run.py

setup-build:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

frontend: setup-build
	@scripts/build-frontend.sh

server:
	cargo build --release -p server

test-rust:
	@scripts/test-rust.sh

test-e2e:
	cd end2end && npx playwright test

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --release -p app -p server -p sesame-bench --all-targets -- -D warnings

clean:
	rm -rf target/site target/wasm-bindgen

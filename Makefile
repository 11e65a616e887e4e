# oauth-plugin — `make run` serves the product, `make test` runs every test. Each installs what it
# needs first (scripts/setup.sh, idempotent).

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' plugin.json)
BUNDLE := dist/oauth-plugin-$(VERSION).tar.gz
# The wasm tests: tests/suite.rs (every test of tests/, the same ones cargo test runs, plus the JS
# boundary's) and tests/wasm_panic.rs, built once and run by each of the three runners (Node,
# headless Chromium, headless Firefox: WASM_BINDGEN_USE_BROWSER picks at run time, so one build
# serves all three). One binary, because the runner costs seconds per binary; no debug info (the
# runners' wasm-bindgen reads a tenth of the bytes); opt-level 1, which runs the suite in 3 s
# instead of 40 (a synchronous test that long times out the browsers' webdriver), overflow checks
# kept.
WASM_TEST := CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_OPT_LEVEL=1 scripts/cargo-wasm test --features test-panic --test suite --test wasm_panic

.PHONY: setup build wasm webapp reference-server dist run test test-rust test-wasm test-server lint bench fuzz clean

## setup: install every tool the build and the tests need (skips what is present)
setup:
	@scripts/setup.sh

## build: the wasm module with its JS glue, the webapp bundle (no React in it: the page gives it
## window.React), the reference server (with the React its page shell gives)
build: wasm webapp reference-server

wasm:
	@scripts/build-wasm.sh

webapp:
	@npm run --silent -w webapp build

reference-server:
	@npm run --silent -w reference-server build

## dist: a Mattermost-style plugin bundle, dist/oauth-plugin-<version>.tar.gz: the plugin's files only
dist: setup build
	@rm -rf dist/oauth-plugin && mkdir -p dist/oauth-plugin/server/dist dist/oauth-plugin/webapp/dist
	@cp plugin.json dist/oauth-plugin/
	@cp server/dist/oauth_plugin_bg.wasm server/dist/oauth_plugin.js dist/oauth-plugin/server/dist/
	@cp webapp/dist/main.js dist/oauth-plugin/webapp/dist/
	@tar -czf $(BUNDLE) -C dist oauth-plugin && rm -rf dist/oauth-plugin
	@echo "bundle: $(BUNDLE)"

## run: the reference server with the plugin, on http://localhost:8065 by default
run: setup build
	@node reference-server/dist/src/main.js

## test: lint and type checks, native tests, wasm tests (Node, Chromium, Firefox), reference server tests
test: setup build lint test-rust test-wasm test-server

# The reference server's type check is its build (tsc -p ., the same configuration); the webapp's
# bundler does not check types, so tsc --noEmit does.
lint: reference-server
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	scripts/cargo-wasm clippy --quiet --all-targets --features test-panic -- -D warnings
	scripts/cargo-wasm clippy --quiet --lib -- -D warnings  # the module's code without the test features
	npm run --silent -w webapp check

test-rust:
	cargo test --quiet

test-wasm:
	$(WASM_TEST)
	WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver $(WASM_TEST)
	WASM_BINDGEN_USE_BROWSER=1 GECKODRIVER=$(HOME)/.cargo/bin/geckodriver $(WASM_TEST)

test-server:
	npm run --silent -w reference-server test

## bench: the module's size and its cold start from its bytes to an activated plugin, in fresh Node
## processes (bench/coldstart.mjs); serveHttp through the module alone, its JS boundary and the
## plugin without a server (bench/boundary.mjs); the token endpoint through the reference server
## against a bare Node server and oidc-provider, on loopback (requests/s, p50/p99 and the ratios);
## then the refresh grant on one node with SQLite, one with PostgreSQL and two on one PostgreSQL
## (bench/cluster.mjs); then a slash command with no outgoing OAuth connection, through one (a fresh
## token each time), and with cache_tokens (bench/commands.mjs); a measurement, not a test
bench: setup build
	@node bench/coldstart.mjs
	@node bench/boundary.mjs
	@node bench/bench.mjs
	@node bench/cluster.mjs
	@node bench/commands.mjs

## fuzz: the serve_http fuzz target (fuzz/, cargo-fuzz with libFuzzer and AddressSanitizer) for
## FUZZ_SECONDS (default 600); not part of `make test`. Installs cargo-fuzz from crates.io first
## (skipped when that version is present); rustup's toolchain runs it with RUSTC_BOOTSTRAP=1 for
## the unstable flags. A finding stops the run and lands in fuzz/artifacts/serve_http/; FUZZ_ARGS
## adds libFuzzer flags (e.g. `-fork=1 -ignore_crashes=1` to go on after a finding)
FUZZ_SECONDS ?= 600
FUZZ_ARGS ?=
CARGO_FUZZ_VERSION := 0.13.2
fuzz:
	@cargo fuzz --version 2>/dev/null | grep -qF " $(CARGO_FUZZ_VERSION)" \
	  || cargo install --locked --force cargo-fuzz --version $(CARGO_FUZZ_VERSION)
	RUSTC_BOOTSTRAP=1 cargo fuzz run serve_http -- -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=2048 -len_control=10 -print_final_stats=1 $(FUZZ_ARGS)

clean:
	rm -rf target server/dist webapp/dist reference-server/dist dist fuzz/target

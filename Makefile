# Reliquary: `make demo` runs the main job on a sample the project renders itself; `make test` runs the tests.
# Both first install what is missing (scripts/bootstrap.sh: apt packages and npm ci).
SHELL := /bin/bash
NODE := node --import tsx
TESTS = $(shell find test -name '*.test.ts' | sort)

.PHONY: bootstrap test demo bench typecheck
bootstrap:
	@bash scripts/bootstrap.sh

typecheck: bootstrap
	npx tsc -p tsconfig.json --noEmit

test: bootstrap
	npx tsc -p tsconfig.json --noEmit
	$(NODE) --test --test-concurrency=1 $(TESTS)

demo: bootstrap
	bash scripts/demo.sh

bench: bootstrap
	npm run bench:train

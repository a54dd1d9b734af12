# rasa-vault-webhook: build, test and demo targets. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go
export GOTOOLCHAIN ?= local
export GOFLAGS ?= -buildvcs=false

MODULE  := github.com/rasa-vault-webhook/rasa-vault-webhook
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X $(MODULE)/pkg/version.Version=$(VERSION) \
	-X $(MODULE)/pkg/version.Commit=$(COMMIT)
TEST_TIMEOUT ?= 30m
# Output of `make build`; the Dockerfile builds with BIN=/out/webhook.
BIN ?= bin/webhook
# Time each fuzz target runs under `make fuzz`.
FUZZTIME ?= 30s
# What `make test` gives each fuzz target: a fixed count of inputs beyond the seeds, so
# a loaded CI machine runs the same amount of fuzzing, just slower.
TEST_FUZZTIME ?= 2000x
FUZZFLAGS ?=
# Columns a tab counts as in the line-length check of `make lint`.
TABWIDTH ?= 4
MAXLINE ?= 100
IMAGE ?= rasa-vault-webhook:$(VERSION)
DOCKER ?= docker
CHART := charts/rasa-vault-webhook

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

# The one place the release build's flags live: the Dockerfile runs this target and
# test/image checks that its output is static and stamped.
.PHONY: build
build: ## Build bin/webhook (static, version stamped; BIN=path to change the output).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/webhook

.PHONY: tools
tools: ## Build and cache etcd, kube-apiserver, Vault and helm from Go modules (once per machine).
	bash test/tools/build.sh all

.PHONY: test
test: tools ## Vet, every test (unit and end to end on real servers), a short fuzz of each target.
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME) FUZZFLAGS=-parallel=1

.PHONY: demo
demo: tools ## Watch the main job on a local apiserver, Vault and PostgreSQL.
	$(GO) run ./test/demo

.PHONY: bench
bench: ## Benchmark against the Vault Agent Injector (test/bench/run.sh builds its tools).
	@test -f test/bench/run.sh || { \
		echo "bench: test/bench/run.sh does not exist yet; nothing to run" >&2; exit 1; }
	bash test/bench/run.sh

.PHONY: fuzz
fuzz: ## Run every Fuzz* target for FUZZTIME each (default 30s).
	@set -euo pipefail; \
	dirs=$$(find . -path ./test/tools -prune -o -name '*_test.go' -print | \
		xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u); \
	[ -n "$$dirs" ] || { echo "fuzz: no Fuzz targets found" >&2; exit 1; }; \
	for dir in $$dirs; do \
		for target in $$($(GO) test -list '^Fuzz' "$$dir" | grep '^Fuzz'); do \
			echo "fuzz: $$dir $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) \
				"$$dir"; \
		done; \
	done

.PHONY: lint
lint: ## gofmt, go vet, and Go lines of at most MAXLINE columns (a tab = TABWIDTH).
	@set -euo pipefail; \
	files=$$(find . -name '*.go' -not -path './test/tools/*' -not -path './.cache/*'); \
	unformatted=$$(gofmt -l $$files); \
	if [ -n "$$unformatted" ]; then echo "lint: not gofmt-clean:" >&2; \
		echo "$$unformatted" >&2; exit 1; fi; \
	$(GO) vet ./...; \
	long=$$(awk -v tw=$(TABWIDTH) -v max=$(MAXLINE) \
		'{ l = $$0; gsub(/\t/, sprintf("%*s", tw, ""), l); \
		   if (length(l) > max) printf "%s:%d: %d columns\n", FILENAME, FNR, length(l) }' \
		$$files); \
	if [ -n "$$long" ]; then echo "lint: lines over $(MAXLINE) columns:" >&2; \
		echo "$$long" >&2; exit 1; fi

.PHONY: chart-lint
chart-lint: ## helm lint the chart (helm is built by test/tools/build.sh).
	"$$(bash test/tools/build.sh path helm)" lint --strict $(CHART)

.PHONY: image
image: ## Build the container image with docker (needs a running container engine).
	@$(DOCKER) info >/dev/null 2>&1 || { \
		echo "image: no container engine reachable through '$(DOCKER)';" \
			"test/image checks the Dockerfile's build step without one" >&2; exit 1; }
	$(DOCKER) build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
		-t $(IMAGE) .

.PHONY: clean
clean: ## Remove build output (the tool cache outside the clone stays).
	rm -rf bin

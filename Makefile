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

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/webhook (static, version stamped).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/webhook ./cmd/webhook

.PHONY: tools
tools: ## Build and cache etcd, kube-apiserver and Vault from Go modules (once per machine).
	bash test/tools/build.sh all

.PHONY: test
test: tools ## Vet, then every test: unit, fuzz seeds, and end to end on real servers.
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: demo
demo: tools ## Watch the main job on a local apiserver, Vault and PostgreSQL.
	$(GO) run ./test/demo

.PHONY: clean
clean: ## Remove build output (the tool cache outside the clone stays).
	rm -rf bin

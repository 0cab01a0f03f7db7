# trawl: two commands set everything up on a fresh machine:
#   make run    build, generate the demo organisation (offline), crawl it, print answers, serve the UI
#   make test   every test (lint, unit, parity with git grep, kill -9, browser, fuzz seeds)

GO      ?= go
BIN     := bin/trawl
DEMO    := demo-org
PKGS    := ./...

.PHONY: all build run demo demo-crawl test test-go lint lint-deploy bench fuzz clean

all: build

# CGO off: a static binary, which also starts 0.7 ms sooner than one the
# dynamic loader must link (BENCHMARKS.md).
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/trawl

# The demo: a generated acme organisation (6 repositories, 30 branches),
# written in seconds without network; see trawl demo -h.
demo: build
	$(BIN) demo init $(DEMO)

demo-crawl: demo
	$(BIN) crawl -c $(DEMO)/trawl.yaml
	$(BIN) demo tour -c $(DEMO)/trawl.yaml

run: demo-crawl
	@echo "open http://127.0.0.1:8080 (the empty search page suggests queries from this index)"
	$(BIN) serve -c $(DEMO)/trawl.yaml

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# The deployment examples, linted with yamllint and systemd-analyze (also in make test).
lint-deploy:
	$(GO) test -count=1 ./deploy

# Fuzz targets run their seed corpus as ordinary tests here.
# third_party/vellum is a module of its own (a patched dependency, see its
# TRAWL.md), outside ./...
test-go:
	$(GO) test -count=1 -timeout 25m $(PKGS)
	cd third_party/vellum && $(GO) test -count=1 ./levenshtein

test: lint test-go

# Benchmarks on a generated org, Bleve and Elasticsearch side by side;
# figures are ratios against git grep and csearch on the same corpus,
# measured in the same run (see BENCHMARKS.md). BENCH_ES=0 measures Bleve
# only; scripts/bench.sh installs codesearch (cindex, csearch) when it is
# missing and apt-get can, and the report skips csearch without it.
bench: build
	bash scripts/bench.sh

# Long fuzzing, by hand: make fuzz FUZZ=FuzzParse PKG=./search TIME=10m
FUZZ ?= FuzzParse
PKG  ?= ./search
TIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz '^$(FUZZ)$$' -fuzztime $(TIME) $(PKG)

clean:
	rm -rf bin trawl-data $(DEMO)

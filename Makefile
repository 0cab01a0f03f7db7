# trawl: two commands set everything up on a fresh machine:
#   make run    build, crawl the demo source (this repository, offline), serve the UI
#   make test   every test (lint, unit, parity with git grep, kill -9, browser, fuzz seeds)

GO      ?= go
BIN     := bin/trawl
DEMO    := examples/demo.yaml
PKGS    := ./...

.PHONY: all build run demo-crawl test test-go lint bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/trawl

# The demo crawls this repository itself (every branch), so it works offline.
demo-crawl: build
	$(BIN) crawl -c $(DEMO)
	@echo
	@echo "\$$ trawl search --limit 5 '\"func main\"'"
	@$(BIN) search -c $(DEMO) --limit 5 '"func main"'
	@echo

run: demo-crawl
	$(BIN) serve -c $(DEMO)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# Fuzz targets run their seed corpus as ordinary tests here.
test-go:
	$(GO) test -count=1 -timeout 25m $(PKGS)

test: lint test-go

# Benchmarks on a generated org, Bleve and Elasticsearch side by side;
# figures are ratios against git grep on the same corpus, measured in the
# same run (see BENCHMARKS.md). BENCH_ES=0 measures Bleve only.
bench: build
	bash scripts/bench.sh

# Long fuzzing, by hand: make fuzz FUZZ=FuzzParse PKG=./search TIME=10m
FUZZ ?= FuzzParse
PKG  ?= ./search
TIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz '^$(FUZZ)$$' -fuzztime $(TIME) $(PKG)

clean:
	rm -rf bin trawl-data

# resilog: the two commands a newcomer runs are `make demo` and `make test`.
GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2

.PHONY: all test test-root test-collector fuzz tidy-check lint vet fmt-check staticcheck demo bench logbench timelines build clean redact-eval

all: test

## test: everything CI runs (.ci/run calls this).
test: lint test-root fuzz test-collector

## fuzz: the fuzz tests, briefly (their seed corpora also run in test-root). Budgets are
## execution counts, not durations: a -fuzztime duration races Go's fuzzing coordinator
## against workers still mid-call on a loaded machine and fails with a bare "context
## deadline exceeded" and no input (golang/go#75804; seen here on FuzzEncodeDecodes).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime 12000x ./redact/
	$(GO) test -run '^$$' -fuzz '^FuzzEncodeDecodes$$' -fuzztime 30000x ./internal/otlpenc/
	$(GO) test -run '^$$' -fuzz '^FuzzRequestIDMiddleware$$' -fuzztime 30000x ./propagation/
	$(GO) test -run '^$$' -fuzz '^FuzzHandle$$' -fuzztime 20000x ./bridge/

## test-root: the library, with the race detector.
test-root:
	$(GO) test -race -count=1 -timeout 10m ./...

## test-collector: the collector module: end-to-end and fault tests against a real collector.
test-collector:
	cd collector && $(GO) test -count=1 -timeout 15m ./...

## lint: gofmt, go vet, staticcheck and tidy go.mod files over both modules.
lint: fmt-check tidy-check vet staticcheck

tidy-check:
	$(GO) mod tidy -diff
	cd collector && $(GO) mod tidy -diff

fmt-check:
	@out=$$(gofmt -l . ); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd collector && $(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...
	cd collector && $(STATICCHECK) ./...

## build: the collector distribution, the orders example and the demo driver, into bin/.
build:
	cd collector && $(GO) build -o $(BIN)/resilog-collector ./cmd/resilog-collector
	cd collector && $(GO) build -o $(BIN)/demo ./cmd/demo
	$(GO) build -o $(BIN)/orders ./examples/orders

## demo: the orders example against a real collector; prints what the collector received
## and draws where every record went over time into demo-timeline.svg (+ .csv, .faults.csv).
demo: build
	$(BIN)/demo -collector $(BIN)/resilog-collector -orders $(BIN)/orders -config collector/config/local.yaml -timeline demo-timeline.svg

## bench: benchmarks of both modules.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd collector && $(GO) test -run '^$$' -bench . -benchmem ./...

## redact-eval: recall and false-positive rate per kind, over the generated and the shared corpus.
redact-eval:
	$(GO) run ./redact/internal/corpusgen -report

## logbench: the stock stack and resilog under load and faults, against the real collector.
logbench: build
	cd collector && $(GO) build -o $(BIN)/logbench ./cmd/logbench
	@for args in "-pipeline stock -queue 2048 -n 200000" "-pipeline stock -queue 200000 -n 200000" \
	  "-pipeline resilog -n 200000" "-pipeline stock -fault down -n 10000" "-pipeline resilog -fault down -n 10000" \
	  "-pipeline resilog -fault flap -n 20000 -rate 2000" "-pipeline resilog -fault hang -n 20000 -rate 5000" \
	  "-pipeline resilog -fault 503 -n 20000 -rate 4000" "-topology agent-gateway -n 200000" \
	  "-pipeline resilog -spool $(BIN)/spool-burst -n 200000" "-pipeline resilog -fault kill -spool $(BIN)/spool-kill -n 200000"; do \
	  rm -rf $(BIN)/spool-burst $(BIN)/spool-kill; \
	  $(BIN)/logbench -collector $(BIN)/resilog-collector $$args 2>/dev/null | tail -1; done

## timelines: the README's pictures (docs/outage.svg, docs/hang.svg, their CSV and accounting
## lines) from logbench runs, and the tables beside them in README.md.
timelines: build
	cd collector && $(GO) build -o $(BIN)/logbench ./cmd/logbench
	docs/timelines.sh $(BIN)

clean:
	rm -rf $(BIN)

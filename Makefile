# chainrisk — build, test, benchmark and fuzz.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 60s
BENCH_DIR ?= bench
LDFLAGS   ?= -s -w

.PHONY: all build test test-short lint bench bench-quick fuzz soak clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# vet plus every test under the race detector. Suites needing PostgreSQL or the
# Prometheus tools skip loudly when those are absent, and fail instead with
# CHAINRISK_REQUIRE_PG=1 / CHAINRISK_REQUIRE_TOOLS=1 (as .ci/run sets).
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 $(PKGS)

# Micro-benchmarks plus the province-scale run (SPEC §14); the report lands in
# $(BENCH_DIR)/report.md. BENCH_FIRMS scales the province (default 1,000,000).
bench:
	./scripts/bench.sh $(BENCH_DIR)

bench-quick:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Every fuzz target for FUZZTIME each; crashers land in testdata/fuzz as seeds.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin $(BENCH_DIR)

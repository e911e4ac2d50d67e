# chainrisk — build, test, benchmark and fuzz.
SHELL     := /bin/bash
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 60s
BENCH_DIR ?= bench
LDFLAGS   ?= -s -w

.PHONY: all build test test-short lint bench bench-quick fuzz soak province national noise clean

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

# The province-scale run (docs/performance.md): one report, $(BENCH_DIR)/report.md, whose
# first table puts each headline figure beside its peer and goal, then the imports,
# scans, latency runs and micro-benchmarks. BENCH_FIRMS scales the province (default
# 1,000,000); BENCH_PROVINCE=0 skips the latency runs (scripts/bench.sh lists the rest).
bench:
	./scripts/bench.sh $(BENCH_DIR)

bench-quick:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Every fuzz target for FUZZTIME each; crashers land in testdata/fuzz as seeds.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# The long reliability runs of docs/reliability.md: SIGKILLs at random moments
# (SOAK_KILLS per store), overload for SOAK_OVERLOAD, the receiver outage, then a
# real PostgreSQL restart — run last and alone, since it interrupts every session
# of the server. CI runs it at reduced size.
SOAK_KILLS    ?= 100
SOAK_OVERLOAD ?= 2m
soak:
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; CHAINRISK_SOAK=1 CHAINRISK_CRASH_KILLS=$(SOAK_KILLS) CHAINRISK_OVERLOAD_FOR=$(SOAK_OVERLOAD) \
		$(GO) test -count=1 -timeout 60m -v -run '^(TestCrashSafety|TestKillBeforeFirstScan|TestOverload|TestReceiverOutage.*)$$' \
		./reliability ./loadgen ./alerts | tee $(BENCH_DIR)/soak.log | grep -E '^\s*(--- |ok|FAIL|PASS|panic)' \
		|| { ./scripts/failures.sh $(BENCH_DIR)/soak.log; exit 1; }
	set -o pipefail; CHAINRISK_SOAK_PG_RESTART=1 $(GO) test -count=1 -timeout 10m -v -run '^TestPostgresRestart$$' ./daemon \
		| tee $(BENCH_DIR)/soak-restart.log | grep -E '^\s*(--- |ok|FAIL|PASS|panic)' \
		|| { ./scripts/failures.sh $(BENCH_DIR)/soak-restart.log; exit 1; }
	cat $(BENCH_DIR)/soak-restart.log >> $(BENCH_DIR)/soak.log
	@echo "soak: every figure is in $(BENCH_DIR)/soak.log"

# Event → webhook and GET latency at province scale (docs/performance.md); PROVINCE_FIRMS
# scales it (default 1,000,000). The report lands in $(BENCH_DIR)/province/province.md.
PROVINCE_FIRMS ?= 1000000
province:
	./scripts/province.sh $(BENCH_DIR)/province $(PROVINCE_FIRMS)

# National scale (docs/scale.md): NATIONAL_FIRMS firms (default 5,000,000) imported into
# PostgreSQL and scanned once; the report lands in $(BENCH_DIR)/national.md.
national:
	./scripts/national.sh $(BENCH_DIR)

# Alert noise (docs/alerts.md, Noise): notifications against the alert changes behind
# them, in the demo and in a generated province of NOISE_FIRMS firms (NOISE_LEADERS of
# them subscribing to their chains) loaded the way a user loads it, then over NOISE_DAYS
# simulated days. NOISE_DIGEST=daily gives every subscription a daily digest;
# NOISE_REPEATS=daily runs resend_alerts through the month rather than once at its end.
# The report lands in $(BENCH_DIR)/noise.md.
NOISE_FIRMS   ?= 100000
NOISE_LEADERS ?= 10
NOISE_DAYS    ?= 30
NOISE_DIGEST  ?=
NOISE_REPEATS ?= end
noise:
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; CHAINRISK_NOISE=1 CHAINRISK_NOISE_FIRMS=$(NOISE_FIRMS) CHAINRISK_NOISE_LEADERS=$(NOISE_LEADERS) \
		CHAINRISK_NOISE_DAYS=$(NOISE_DAYS) CHAINRISK_NOISE_DIGEST=$(NOISE_DIGEST) CHAINRISK_NOISE_REPEATS=$(NOISE_REPEATS) \
		CHAINRISK_NOISE_REPORT=$(abspath $(BENCH_DIR))/noise.md \
		$(GO) test -count=1 -timeout 30m -v -run '^TestNoise$$' ./internal/noise | tee $(BENCH_DIR)/noise.log \
		| grep -E '^\s*(--- |ok|FAIL|PASS|panic)| took ' || { ./scripts/failures.sh $(BENCH_DIR)/noise.log; exit 1; }
	@echo "noise: report in $(BENCH_DIR)/noise.md, log in $(BENCH_DIR)/noise.log"

clean:
	rm -rf bin $(BENCH_DIR)

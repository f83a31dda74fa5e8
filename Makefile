# minsheng: `make run` installs what is missing and runs on the demo data; `make test` runs the tests.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/minsheng
DATA  ?= data
YEAR  ?= 2024
# The county's secret pseudonym key: unset, a random key is created once in $(DATA)/pii.key.
export MINSHENG_PII_KEY

ADDR  ?= 127.0.0.1:8080

.PHONY: run test deps build demo ingest warehouse accounts serve vet lint bench clean

## run: build, make demo extracts if the inbox is empty, ingest them, build the warehouse, make the
## demo accounts (random passwords, printed once, kept in $(DATA)/demo-accounts.txt), serve
run: deps build demo ingest warehouse accounts serve

## deps: check the toolchain and fetch Go modules (the module proxy is the only network needed)
deps:
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/dl (Go 1.26 or later)"; exit 1; }
	@command -v gcc >/dev/null || { echo "gcc is required for DuckDB (cgo): apt-get install -y gcc"; exit 1; }
	@$(GO) mod download

build:
	@[ -x $(BIN) ] || echo "首次编译:DuckDB 是一个很大的 C++ 库,约需 3–5 分钟,之后只需几秒 / the first build compiles DuckDB and takes 3–5 minutes; later ones take seconds"
	$(GO) build -o $(BIN) ./cmd/minsheng

demo: build
	@if [ -z "$$(find $(DATA)/inbox -type f 2>/dev/null | head -1)" ]; then \
		./$(BIN) fixtures --year $(YEAR) --out $(DATA); \
	else echo "inbox already holds files: keeping them ($(DATA)/inbox)"; fi

ingest: build
	./$(BIN) ingest --data $(DATA)

warehouse: build
	./$(BIN) build --data $(DATA)

accounts: build
	./$(BIN) demo-accounts --data $(DATA)

serve: build
	./$(BIN) serve --data $(DATA) --addr $(ADDR)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

## browser: Chromium and a CJK font for the dashboards' browser tests (apt-get; sudo unless root)
.PHONY: browser
browser:
	@if [ -z "$$MINSHENG_CHROMIUM" ] && ! { command -v chromium >/dev/null && fc-list :lang=zh family 2>/dev/null | grep -q .; }; then \
		command -v apt-get >/dev/null || { echo "browser tests need Chromium and a CJK font: install them, or set MINSHENG_CHROMIUM"; exit 1; }; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	fi
	@# poppler-utils: pdfinfo and pdftotext read the PDFs of the print tests (the exports through soffice)
	@command -v pdfinfo >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

## office: LibreOffice's headless Calc, which saves the .xls and .ods files ingest's tests read
## (apt-get; sudo unless root)
.PHONY: office
office:
	@if ! command -v soffice >/dev/null && ! command -v libreoffice >/dev/null; then \
		command -v apt-get >/dev/null || { echo "ingest's .xls and .ods tests need LibreOffice: install it (soffice on PATH)"; exit 1; }; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; \
	fi

## test: formatting, vet, and every test under the race detector (slow tests included), then a short
## run of each fuzz target (FUZZTIME_TEST each; plain go test already ran their seed corpora).
## MINSHENG_REQUIRE_TOOLS=1: a test whose LibreOffice or poppler is missing fails here, never skips.
test: deps vet browser office
	MINSHENG_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 45m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_TEST)

## fuzz: each fuzz target for FUZZTIME (default 60s); a failing input is saved under the package's
## testdata/fuzz/<Target>/ and fails plain go test from then on, until fixed. Go runs one target at a time.
FUZZTIME      ?= 60s
FUZZTIME_TEST ?= 5s
FUZZ_TARGETS  := ./idcard:FuzzParse ./idcard:FuzzMask \
	./ingest:FuzzParseDate ./ingest:FuzzParseMonth ./ingest:FuzzParseMoney ./ingest:FuzzParseYear \
	./ingest:FuzzHeaderMatch ./ingest:FuzzCSVTable ./ingest:FuzzIngestCSV ./ingest:FuzzIngestXLSX \
	./ingest:FuzzXLSTable ./ingest:FuzzODSTable
.PHONY: fuzz
## A timed run whose last input (a whole-file ingest, ~100 ms) is still running when the time is up
## can end "context deadline exceeded" with no failing input: Go's fuzzer stopping, not a finding.
## Such a run passes, said so; any run that wrote a failing input, or failed otherwise, fails.
fuzz:
	@set -eo pipefail; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
		if ! $(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x $${t%%:*} 2>&1 | tee "$$log"; then \
			if grep -q 'context deadline exceeded' "$$log" && ! grep -q 'Failing input written' "$$log"; then \
				echo "fuzz $${t#*:}: the time ran out mid-input (no failing input): passed"; \
			else exit 1; fi; \
		fi; \
	done

## bench: a province-sized year (BENCH_SCALE=100, about 11 million rows, kept in $(BENCH_DIR)) ingested,
## built and served, beside DuckDB's own CSV-to-Parquet and a bare Gin handler; writes BENCHMARKS.md.
## Takes several minutes; not part of `make test`. BENCH_BASELINE=<git rev> also times that rev's ingest.
BENCH_DIR   ?= bench-data
BENCH_SCALE ?= 100
bench: deps build
	@command -v wrk >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; } || \
		echo "wrk could not be installed: the API part is skipped"
	$(GO) build -o bin/minsheng-bench ./bench
	$(GO) build -o bin/bench-bare ./bench/bare
	./bin/minsheng-bench --minsheng $(BIN) --bare bin/bench-bare --dir $(BENCH_DIR) --scale $(BENCH_SCALE) --baseline "$(BENCH_BASELINE)" --out BENCHMARKS.md

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

clean:
	rm -rf bin

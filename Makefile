# journeybot: every Go command needs the sqlite_fts5 tag (SQLite full-text search).
GO      ?= go
TAGS    := sqlite_fts5
BIN     := bin/journeybot
CONFIG  ?= config.yaml
ADDR    ?=

.PHONY: run build server test test-short vet fmt bench fuzz clean

## run: build and run the server on its embedded defaults (http://localhost:8080)
run: server
	./$(BIN) serve -config $(CONFIG) $(if $(ADDR),-addr $(ADDR))

## build: build bin/journeybot and bin/journeybot-bench
build: server
	$(GO) build -tags $(TAGS) -o bin/journeybot-bench ./cmd/journeybot-bench

server:
	$(GO) build -tags $(TAGS) -o $(BIN) ./cmd/journeybot

## test: the whole test suite, with the race detector (browser tests need chromium)
test:
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -tags $(TAGS) -race -count=1 -timeout 20m ./...

## test-short: the suite without -race, for a quick check
test-short:
	$(GO) test -tags $(TAGS) -count=1 ./...

vet:
	$(GO) vet -tags $(TAGS) ./...

fmt:
	gofmt -l -w .

## bench: the load generator against a real server and a mock model (see docs/BENCHMARKS.md)
bench: build
	./bin/journeybot-bench -journeybot $(BIN) -idle-conns 10000
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./journeystate/... ./channels/... ./bot/...

## fuzz: run each fuzz test for a short while
fuzz:
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzDecodeFrame -fuzztime 30s ./channels/webchat
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzSearchKnowledge -fuzztime 30s ./journeystate/sqlite
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzNormalizeEmail -fuzztime 30s ./journeystate
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzDecodeEvents -fuzztime 30s ./api
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzRedact -fuzztime 30s ./bot/redact

clean:
	rm -rf bin

# kefu — the two commands are `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.buildVersion=$(VERSION) -X main.buildCommit=$(COMMIT)

.PHONY: build build-bench run test bench lint provision clean fuzz soak

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kefu ./cmd/kefu

## build-bench: bin/kefu with the benchmarks that need the fake model (kefu bench chat, kefu bench fakemodel);
## the production build leaves the fake model out
build-bench:
	$(GO) build -tags bench -ldflags "$(LDFLAGS)" -o bin/kefu ./cmd/kefu

## run: provision PostgreSQL + pgvector, then serve on :8080 with the demo shop (local database in ./.data)
run: provision build
	./bin/kefu serve --demo

## test: lint, then all tests against a throwaway PostgreSQL + pgvector
test:
	scripts/test.sh

## bench: benchmarks (same throwaway database); record results in docs/benchmarks.md
bench:
	scripts/test.sh -run '^$$' -bench . -benchmem ./...

## fuzz: each fuzz target for FUZZTIME (default 30s); seed corpora already run in make test
fuzz:
	scripts/fuzz.sh

## soak: the fault and upload-bomb tests at full size (build tag soak), same throwaway database; see docs/reliability.md
soak:
	$(GO) vet -tags soak ./cmd/kefu ./knowledge
	scripts/test.sh -tags soak -race -count=1 -timeout 30m -v -run 'TestKillNodeMidStream|TestPostgresRestartUnderLoad|TestReconnectStorm|TestUploadBombs' ./cmd/kefu ./knowledge

lint:
	scripts/lint.sh

provision:
	scripts/provision.sh

clean:
	rm -rf bin

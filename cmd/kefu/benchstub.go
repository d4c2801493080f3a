//go:build !bench

package main

import "context"

// The benchmarks that need the fake model (internal/fakellm) are built only
// with -tags bench, so the production binary does not carry a test model.
const needsBenchBuild = "kefu bench %s needs the benchmark build, which brings the fake model: " +
	"go build -tags bench -o bin/kefu ./cmd/kefu (or make build-bench)"

func cmdBenchChat(context.Context, env, []string) error {
	return usageErr(needsBenchBuild, "chat")
}

func cmdBenchFakeModel(context.Context, env, []string) error {
	return usageErr(needsBenchBuild, "fakemodel")
}

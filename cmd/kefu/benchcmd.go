package main

import (
	"context"
	"slices"
	"time"
)

func cmdBench(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("kefu bench chat|search|answers|fakemodel [flags] (-h for each)")
	}
	switch args[0] {
	case "search":
		return cmdBenchSearch(ctx, e, args[1:])
	case "answers":
		return cmdBenchAnswers(ctx, e, args[1:])
	case "fakemodel":
		return cmdBenchFakeModel(ctx, e, args[1:])
	case "chat":
		return cmdBenchChat(ctx, e, args[1:])
	}
	return usageErr("kefu bench chat|search|answers|fakemodel [flags] (-h for each)")
}

func millis(ds []time.Duration) []float64 {
	ms := make([]float64, len(ds))
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	return ms
}

// percentile of sorted values (nearest rank); 0 when there are none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

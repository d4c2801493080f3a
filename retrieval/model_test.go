package retrieval_test

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"

	"kefu/internal/fakellm"
	"kefu/llm"
	"kefu/retrieval"
)

func TestModelEmbedder(t *testing.T) {
	fake := fakellm.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := llm.New(llm.Config{BaseURL: srv.URL + "/v1"})
	emb, err := retrieval.NewModelEmbedder(context.Background(), client, "text-embed")
	if err != nil {
		t.Fatal(err)
	}
	if emb.Dim() != 32 || emb.Model() != "text-embed-32" {
		t.Errorf("dim %d model %q; want 32 and the name with its dimension", emb.Dim(), emb.Model())
	}
	fake.SetFailure(fakellm.Fail500, 1) // retried
	vs, err := emb.Embed(context.Background(), []string{"red lamp", "blue chair", "red lamp"})
	if err != nil || len(vs) != 3 {
		t.Fatalf("Embed = %d vectors, %v", len(vs), err)
	}
	var norm float64
	for _, x := range vs[0] {
		norm += float64(x * x)
	}
	if math.Abs(norm-1) > 1e-5 || vs[0][0] != vs[2][0] {
		t.Errorf("vectors not unit length (%f) or not deterministic", norm)
	}
	fake.SetFailure(fakellm.Fail500, 0)
	if _, err := emb.Embed(context.Background(), []string{"x"}); err == nil {
		t.Error("a failing endpoint gave vectors")
	}
}

package retrieval_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"kefu/retrieval"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func builtin(t testing.TB) *retrieval.LearnedEmbedder {
	t.Helper()
	emb, err := retrieval.BuiltinEmbedder()
	if err != nil {
		t.Fatalf("the shipped weights do not load: %v", err)
	}
	return emb
}

func TestBuiltinEmbedderLoadsAndEmbeds(t *testing.T) {
	emb := builtin(t)
	if emb.Dim() != 512 {
		t.Errorf("Dim() = %d; want 512 (256 learned, 255 hashed words, 1 language)", emb.Dim())
	}
	if !regexp.MustCompile(`^kefu-embed-v1-512-[0-9a-f]{8}$`).MatchString(emb.Model()) {
		t.Errorf("Model() = %q; want kefu-embed-v1-512-<hash of the weights>", emb.Model())
	}
	texts := []string{"Where is my parcel?", "退货政策", "send it back", ""}
	vs, err := emb.Embed(context.Background(), texts)
	if err != nil || len(vs) != len(texts) {
		t.Fatalf("Embed = %d vectors, %v", len(vs), err)
	}
	for i, v := range vs[:3] {
		if len(v) != 512 || math.Abs(cosine(v, v)-1) > 1e-4 {
			t.Errorf("vector of %q: length %d, norm² %f; want 512 and unit length", texts[i], len(v), cosine(v, v))
		}
		if w := emb.Vector(texts[i]); cosine(v, w) < 0.9999 {
			t.Errorf("Vector(%q) differs from Embed's vector", texts[i])
		}
	}
	if cosine(vs[3], vs[3]) != 0 {
		t.Errorf("a text without words has a non-zero vector")
	}
}

// nearer is a query, a text it should be nearer to, and one it should be
// farther from.
type nearer struct{ query, near, far string }

func checkNearer(t *testing.T, emb *retrieval.LearnedEmbedder, tests []nearer) {
	t.Helper()
	for _, tt := range tests {
		q := emb.Vector(tt.query)
		if near, far := cosine(q, emb.Vector(tt.near)), cosine(q, emb.Vector(tt.far)); near <= far {
			t.Errorf("%q: similarity %.3f to %q is not above %.3f to %q", tt.query, near, tt.near, far, tt.far)
		}
	}
}

// The shipped embedder has learned meaning: each query is closer to the
// text that means the same than to one that only shares the topic.
func TestBuiltinEmbedderMeaning(t *testing.T) {
	checkNearer(t, builtin(t), []nearer{
		{"send it back", "return an item", "track my parcel"},
		{"I'd like to send these shoes back", "How do I return a product?", "Where is my package?"},
		{"money back", "refund", "free shipping"},
		{"when do I get my money back", "how long does a refund take", "how long does delivery take"},
		{"包邮", "free shipping", "退款"},
		{"包邮吗", "免运费吗", "可以退货吗"},
		{"退钱", "退款", "发货"},
		{"我的包裹到哪了", "where is my parcel", "how do I return it"},
		{"doesn't fit", "exchange for another size", "it arrived damaged"},
		{"我要开发票", "can I get an invoice", "can I change my address"},
		{"retrun polcy", "return policy", "privacy policy"}, // typos
		{"運費多少", "运费多少钱", "退货要多久"},                          // traditional characters
	})
}

// Of two passages that mean the same, the one in the query's language is
// nearer; a passage that shares the query's exact code is nearer than one
// with another code.
func TestBuiltinEmbedderPrefersLanguageAndExactWords(t *testing.T) {
	checkNearer(t, builtin(t), []nearer{
		// Without the language dimension each is nearer the translation.
		{"money back", "refund", "退款"},
		{"发票", "开票", "invoice"},
		{"where is order LL-100123", "Order LL-100123 left our warehouse on Monday.", "Order LL-200456 left our warehouse on Monday."},
	})
}

// tinyCorpus is a synthetic training set: words of one "meaning" share a
// group, and every pair joins two of its words.
func tinyCorpus(epoch int) []retrieval.TrainPair {
	groups := [][]string{
		{"alpha", "alef", "aleph one"}, {"bravo", "beta", "bet"}, {"charlie", "gamma", "gimel"},
		{"delta", "dalet", "daleth"}, {"echo", "epsilon", "he"}, {"退货", "退回", "寄回"},
	}
	var out []retrieval.TrainPair
	for g, ws := range groups {
		for i := range ws {
			j := (i + 1 + epoch) % len(ws)
			if j == i {
				j = (j + 1) % len(ws)
			}
			out = append(out, retrieval.TrainPair{A: ws[i], B: ws[j], Group: fmt.Sprint(g)})
		}
	}
	return out
}

func train(t *testing.T, seed uint64, workers int) (*retrieval.LearnedEmbedder, []byte) {
	t.Helper()
	emb, err := retrieval.TrainEmbedder(context.Background(), tinyCorpus, retrieval.TrainOptions{
		Dim: 16, Buckets: 1 << 10, Epochs: 30, Batch: 8, Temperature: 0.1, Rate: 0.1, Seed: seed, Workers: workers,
		LexDim: 7, LexShare: 0.2, LangWeight: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := emb.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return emb, buf.Bytes()
}

func TestTrainEmbedderIsDeterministic(t *testing.T) {
	emb, a := train(t, 7, 1)
	_, b := train(t, 7, 1)
	_, c := train(t, 7, 3)
	_, d := train(t, 8, 1)
	if !bytes.Equal(a, b) {
		t.Error("the same data and seed gave different weights")
	}
	if !bytes.Equal(a, c) {
		t.Error("the weights depend on the number of workers")
	}
	if bytes.Equal(a, d) {
		t.Error("another seed gave the same weights")
	}
	// It learned the groups: a word is nearer its group than other groups.
	if !(cosine(emb.Vector("alpha"), emb.Vector("aleph one")) > cosine(emb.Vector("alpha"), emb.Vector("beta"))) ||
		!(cosine(emb.Vector("退货"), emb.Vector("寄回")) > cosine(emb.Vector("退货"), emb.Vector("gamma"))) {
		t.Error("training did not bring a group's words together")
	}
	// What it saved loads back as the same model.
	back, err := retrieval.LoadEmbedder(a)
	if err != nil || back.Model() != emb.Model() || back.Dim() != 16+7+1 {
		t.Fatalf("LoadEmbedder(saved) = %v, %v; want the model back with 24 dimensions", back, err)
	}
	if !strings.HasPrefix(emb.Model(), "kefu-embed-v1-24-") {
		t.Errorf("Model() = %q; want the feature version and dimension in it", emb.Model())
	}
}

func TestTrainEmbedderRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	for name, opt := range map[string]retrieval.TrainOptions{
		"buckets not a power of two": {Buckets: 1000},
		"negative temperature":       {Temperature: -1},
		"tiny dimension":             {Dim: 2},
		"words share without words":  {LexShare: 0.3},
		"words share 1":              {LexDim: 8, LexShare: 1},
	} {
		if _, err := retrieval.TrainEmbedder(ctx, tinyCorpus, opt); !errors.Is(err, retrieval.ErrTrain) {
			t.Errorf("%s: err = %v; want ErrTrain", name, err)
		}
	}
	one := func(int) []retrieval.TrainPair { return []retrieval.TrainPair{{A: "a", B: "b"}} }
	if _, err := retrieval.TrainEmbedder(ctx, one, retrieval.TrainOptions{Dim: 8, Buckets: 16, Epochs: 1}); !errors.Is(err, retrieval.ErrTrain) {
		t.Errorf("one pair: err = %v; want ErrTrain", err)
	}
}

func TestLoadEmbedderRefusesBadWeights(t *testing.T) {
	_, good := train(t, 1, 1)
	bad := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-1],
		"too long":  append(append([]byte(nil), good...), 0),
		"magic":     append([]byte("NOTKEFU\x00"), good[8:]...),
	}
	future := append([]byte(nil), good...)
	future[12] = 99 // feature version
	bad["feature version"] = future
	nan := append([]byte(nil), good...)
	copy(nan[36:], []byte{0, 0, 0xc0, 0x7f}) // the first row's scale is NaN
	bad["NaN scale"] = nan
	share := append([]byte(nil), good...)
	copy(share[28:], []byte{0, 0, 0x80, 0x3f}) // the words' share is 1
	bad["words share 1"] = share
	for name, data := range bad {
		if _, err := retrieval.LoadEmbedder(data); !errors.Is(err, retrieval.ErrWeights) {
			t.Errorf("%s: err = %v; want ErrWeights", name, err)
		}
	}
}

func TestShopLexicon(t *testing.T) {
	sets := retrieval.ShopLexicon()
	if len(sets) < 200 {
		t.Fatalf("%d lexicon sets; want at least 200", len(sets))
	}
	found := false
	for _, s := range sets {
		if len(s) < 2 {
			t.Errorf("set %q has fewer than two members", s)
		}
		if strings.Join(s, "|") == "free shipping|free delivery|no shipping fee|包邮|免运费|免邮" {
			found = true
		}
	}
	if !found {
		t.Error("the free-shipping set is missing or mis-parsed")
	}
}

func TestShopQuestions(t *testing.T) {
	blocks := retrieval.ShopQuestions()
	if len(blocks) < 450 {
		t.Fatalf("%d shop question blocks; want at least 450", len(blocks))
	}
	chinese := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}
	zhPassages := 0
	for _, b := range blocks {
		if strings.HasPrefix(b.Passage, "#") || len(b.Questions) < 4 {
			t.Errorf("block %q: %d questions; want a passage and at least 4", b.Passage, len(b.Questions))
		}
		// Every block pairs its passage with questions in both languages,
		// so that the embedder learns to cross them.
		var zh, other bool
		for _, q := range b.Questions {
			if strings.HasPrefix(q, "Q:") || strings.HasPrefix(q, "P:") {
				t.Errorf("block %q: question %q keeps its prefix", b.Passage, q)
			}
			zh, other = zh || chinese(q), other || !chinese(q)
		}
		if !zh || !other {
			t.Errorf("block %q: questions in one language only", b.Passage)
		}
		if chinese(b.Passage) {
			zhPassages++
		}
	}
	if zhPassages < len(blocks)/3 || zhPassages > 2*len(blocks)/3 {
		t.Errorf("%d of %d passages in Chinese; want about half", zhPassages, len(blocks))
	}
}

var shortTexts = []string{
	"where is my parcel", "I want to return these shoes", "包邮吗", "退货要多久",
	"can I pay with paypal", "my order LL-100123 has not arrived", "这件毛衣起球了怎么办", "do you ship to canada",
}

// BenchmarkBuiltinEmbedShort embeds short shopper messages, one at a time
// (target: at least 2,000 texts/s on one core).
func BenchmarkBuiltinEmbedShort(b *testing.B) {
	emb := builtin(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		emb.Vector(shortTexts[i%len(shortTexts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

var chunk = strings.Repeat("Returns are free within 30 days of delivery. Items must be unworn and in their original packaging; "+
	"we refund to the original payment method within 5 business days of receiving the parcel. 退货请在收货后30天内申请。", 5)

// BenchmarkBuiltinEmbedChunk embeds a chunk of about 300 tokens.
func BenchmarkBuiltinEmbedChunk(b *testing.B) {
	emb := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		emb.Vector(chunk)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
}

// The hashing embedder, for comparison.
func BenchmarkHashEmbedShort(b *testing.B) {
	emb := retrieval.NewHashEmbedder(retrieval.DefaultDim)
	for i := 0; b.Loop(); i++ {
		emb.Vector(shortTexts[i%len(shortTexts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

func BenchmarkHashEmbedChunk(b *testing.B) {
	emb := retrieval.NewHashEmbedder(retrieval.DefaultDim)
	for b.Loop() {
		emb.Vector(chunk)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
}

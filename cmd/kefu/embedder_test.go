package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/internal/pg"
	"kefu/internal/pgtest"
	"kefu/retrieval"
)

// fakeDatasets writes a tiny copy of the shared datasets the embedder trains on.
func fakeDatasets(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"banking77/train.csv": "text,category\nmy card was declined,card_declined\nthe card got refused,card_declined\n" +
			"how do I top up,top_up\nadd money to my account,top_up\n",
		"zh_en_massive_intent/amazon_massive_intent_zh_en.csv": "id,label,label_text,text,lang,language\n" +
			"1,alarm_set,alarm_set,叫醒我,zh-CN,zh-CN\n2,alarm_set,alarm_set,设个闹钟,zh-CN,zh-CN\n3,weather_query,weather_query,天气怎么样,zh-CN,zh-CN\n4,weather_query,weather_query,会下雨吗,zh-CN,zh-CN\n" +
			"1,alarm_set,alarm_set,wake me up,en-US,en-US\n2,alarm_set,alarm_set,set an alarm,en-US,en-US\n3,weather_query,weather_query,how is the weather,en-US,en-US\n4,weather_query,weather_query,will it rain,en-US,en-US\n" +
			"1,alarm_set,alarm_set,叫醒我,zh-TW,zh-TW\n2,alarm_set,alarm_set,設個鬧鐘,zh-TW,zh-TW\n3,weather_query,weather_query,天氣怎麼樣,zh-TW,zh-TW\n4,weather_query,weather_query,會下雨嗎,zh-TW,zh-TW\n",
		"zh_en_tatoeba/cmn.txt": "Hi.\t嗨。\tCC-BY 2.0 (France) Attribution: tatoeba.org #1 (a) & #2 (b)\n" +
			"I am hungry.\t我饿了。\tCC-BY 2.0 (France) Attribution: tatoeba.org #3 (a) & #4 (b)\n" +
			"It is raining.\t下雨了。\tCC-BY 2.0 (France) Attribution: tatoeba.org #5 (a) & #6 (b)\n",
		// The test pair "I am hungry." must not train.
		"zh_en_tatoeba/laser_tatoeba_test/tatoeba.cmn-eng.eng": "I am hungry.\nGood night.\n",
		"zh_en_tatoeba/laser_tatoeba_test/tatoeba.cmn-eng.cmn": "我饿了。\n晚安。\n",
	}
	for name, data := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestEmbedderTrainCommand(t *testing.T) {
	root, dir := fakeDatasets(t), t.TempDir()
	trainArgs := func(out string) []string {
		return []string{"embedder", "train", "--datasets", root, "--seed", "3", "--out", out, "--dim", "16", "--buckets", "1024",
			"--epochs", "2", "--batch", "16", "--json"}
	}
	out, stderr, err := kefu(t, nil, append(trainArgs(filepath.Join(dir, "a.bin")), "--attribution", filepath.Join(dir, "attribution.txt"))...)
	if err != nil {
		t.Fatalf("kefu embedder train: %v\n%s", err, stderr)
	}
	var res struct {
		Model   string
		Sources map[string]int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if res.Sources["tatoeba en↔zh pairs"] != 2 || res.Sources["tatoeba pairs dropped (in LASER test)"] != 1 {
		t.Errorf("sources %v; want the LASER test pair dropped and the other 2 Tatoeba pairs kept", res.Sources)
	}
	if res.Sources["banking77 train"] != 4 || res.Sources["massive train zh-TW"] != 4 || res.Sources["kefu intents train"] == 0 || res.Sources["shop lexicon sets"] == 0 ||
		res.Sources["shop question → passage pairs"] == 0 {
		t.Errorf("sources %v; want banking77, MASSIVE, kefu's intents, the lexicon and the shop questions", res.Sources)
	}
	attr, _ := os.ReadFile(filepath.Join(dir, "attribution.txt"))
	if !strings.Contains(string(attr), "#1 (a) & #2 (b)") || !strings.Contains(string(attr), "#5 (a) & #6 (b)") || strings.Contains(string(attr), "#3 (a)") {
		t.Errorf("attribution file %q; want the lines of the two pairs used, not of the test pair", attr)
	}
	if _, stderr, err := kefu(t, nil, trainArgs(filepath.Join(dir, "b.bin"))...); err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.bin"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.bin"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("two runs with the same data and seed wrote different weights (%d and %d bytes)", len(a), len(b))
	}
	emb, err := app.OfflineEmbedder(filepath.Join(dir, "a.bin"))
	if err != nil || emb.Model() != res.Model {
		t.Errorf("the written weights load as %v (%v); want model %s", emb, err, res.Model)
	}

	// Bad input: a usage error, and nothing written.
	for _, args := range [][]string{
		{"embedder", "train", "--datasets", root},
		{"embedder", "train", "--datasets", root, "--out", filepath.Join(dir, "c.bin"), "--buckets", "1000"},
		{"embedder", "train", "--datasets", root, "--out", filepath.Join(dir, "c.bin"), "--epochs", "0"},
		{"embedder", "eval", "--half", "middle"},
		{"embedder", "bogus"},
	} {
		if _, _, err := kefu(t, nil, args...); !errors.Is(err, errUsage) {
			t.Errorf("kefu %v: err = %v; want a usage error", args, err)
		}
	}
	if _, _, err := kefu(t, nil, "embedder", "train", "--datasets", t.TempDir(), "--out", filepath.Join(dir, "c.bin")); err == nil {
		t.Error("training without datasets succeeded")
	}
	if _, _, err := kefu(t, nil, "embedder", "train", "-h", "--out", filepath.Join(dir, "c.bin")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("-h: err = %v; want flag.ErrHelp", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.bin")); !os.IsNotExist(err) {
		t.Error("a refused or help command wrote weights")
	}
}

// The embedder is chosen in this order: an embeddings model when one is
// configured, else KEFU_EMBEDDER (hash or a weights file), else the trained
// built-in embedder.
func TestEmbedderSelection(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(fakellm.New())
	defer srv.Close()
	weights := filepath.Join(t.TempDir(), "w.bin")
	small, err := retrieval.TrainEmbedder(ctx, func(int) []retrieval.TrainPair {
		return []retrieval.TrainPair{{A: "a", B: "b"}, {A: "c", B: "d"}}
	}, retrieval.TrainOptions{Dim: 8, Buckets: 16, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	small.Save(&buf)
	os.WriteFile(weights, buf.Bytes(), 0o644)
	builtin, err := retrieval.BuiltinEmbedder()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  app.EmbedConfig
		want string // the model name
	}{
		{"default", app.EmbedConfig{}, builtin.Model()},
		{"builtin", app.EmbedConfig{Embedder: "builtin"}, builtin.Model()},
		{"hash", app.EmbedConfig{Embedder: "hash"}, "builtin-hash-v1-384"},
		{"weights file", app.EmbedConfig{Embedder: weights}, small.Model()},
		{"model wins", app.EmbedConfig{Embedder: "hash", Model: "text-embed", BaseURL: srv.URL + "/v1"}, "text-embed-32"},
	}
	for _, tt := range tests {
		emb, err := app.NewEmbedder(ctx, tt.cfg)
		if err != nil || emb.Model() != tt.want {
			t.Errorf("%s: embedder %v (%v); want model %s", tt.name, emb, err, tt.want)
		}
	}
	if _, err := app.NewEmbedder(ctx, app.EmbedConfig{Embedder: filepath.Join(t.TempDir(), "missing.bin")}); err == nil {
		t.Error("a missing weights file gave an embedder")
	}
	if _, err := app.NewEmbedder(ctx, app.EmbedConfig{Embedder: tempFile(t, "not weights")}); !errors.Is(err, retrieval.ErrWeights) {
		t.Errorf("a file that is not weights: err = %v; want ErrWeights", err)
	}

	// kefu serve checks KEFU_EMBEDDER before starting.
	_, _, err = kefu(t, map[string]string{"KEFU_EMBEDDER": "hashing"}, "serve", "--data-dir", t.TempDir())
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "KEFU_EMBEDDER") {
		t.Errorf("serve with KEFU_EMBEDDER=hashing: %v; want a usage error naming it", err)
	}
}

func tempFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A database embedded with the hashing embedder gets the built-in
// embedder's vectors at serve start, in the background; search works before
// (by full text) and after (by both legs).
func TestChangedEmbedderReembedsInBackground(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	if _, stderr, err := kefu(t, map[string]string{"DATABASE_URL": url, "KEFU_EMBEDDER": "hash"}, "seed", "--demo"); err != nil {
		t.Fatalf("seed with the hashing embedder: %v\n%s", err, stderr)
	}
	pool, err := pg.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &database{Pool: pool}
	lib, err := app.NewLibrary(ctx, db.Pool, app.EmbedConfig{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var site int64
	if err := pool.QueryRow(ctx, "select id from sites limit 1").Scan(&site); err != nil {
		t.Fatal(err)
	}
	missing, err := lib.Index().Missing(ctx)
	if err != nil || missing == 0 {
		t.Fatalf("Missing() = %d, %v; want every chunk missing a built-in vector", missing, err)
	}
	res, err := lib.Search(ctx, site, "how long do refunds take", 5)
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search before the new vectors = %+v, %v; want full-text hits", res, err)
	}

	var logs bytes.Buffer
	app.EmbedMissing(ctx, lib.Index(), missing, slog.New(slog.NewTextHandler(&logs, nil)))
	if n, err := lib.Index().Missing(ctx); err != nil || n != 0 {
		t.Fatalf("Missing() after embedding = %d, %v; want 0", n, err)
	}
	if !strings.Contains(logs.String(), "done="+strconv.Itoa(missing)) || !strings.Contains(logs.String(), "embedded chunks") {
		t.Errorf("logs %q; want progress up to %d and the end", logs.String(), missing)
	}
	var hashVectors int
	pool.QueryRow(ctx, "select count(*) from chunk_embeddings where model = 'builtin-hash-v1-384'").Scan(&hashVectors)
	if hashVectors != missing {
		t.Errorf("%d hashing vectors left; want the %d of before (other models' vectors are kept)", hashVectors, missing)
	}
	vec, err := lib.Index().SearchMode(ctx, site, "send it back", 5, retrieval.VectorOnly)
	if err != nil || len(vec.Hits) == 0 {
		t.Errorf("vector search after embedding = %+v, %v; want hits", vec, err)
	}

	// kefu serve does the same on its own at start, and stops on shutdown.
	if _, err := pool.Exec(ctx, "delete from chunk_embeddings where model = $1", lib.Index().Embedder().Model()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		env := map[string]string{"DATABASE_URL": url, "KEFU_ADDR": addr, "KEFU_PUBLIC_URL": "http://" + addr}
		var o, e bytes.Buffer
		done <- run(sctx, []string{"serve"}, func(k string) string { return env[k] }, nil, &o, &e)
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	kefutest.WaitFor(t, func() bool {
		n, err := lib.Index().Missing(ctx)
		return err == nil && n == 0
	}, "serve to embed every chunk with the built-in embedder")
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
}

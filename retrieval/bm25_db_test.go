package retrieval

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/pgtest"
)

// newTestSite makes a site with one document per text (each text one chunk)
// and returns the site's id and the documents' ids.
func newTestSite(t *testing.T, db *pgxpool.Pool, name string, texts []string) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	var site int64
	if err := db.QueryRow(ctx, `insert into sites (key, name, secret) values ($1, $1, 's') returning id`, name).Scan(&site); err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(db, NewHashEmbedder(16))
	var docs []DocumentChunks
	var ids []int64
	for i, text := range texts {
		var id int64
		err := db.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum)
			values ($1, 'd', $2, 'text', 'x') returning id`, site, fmt.Sprintf("d%d.txt", i)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		docs = append(docs, DocumentChunks{DocID: id, Chunks: []ChunkInput{{Text: text}}, Vectors: [][]float32{make([]float32, 16)}})
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return ix.ReplaceMany(ctx, tx, site, docs) })
	if err != nil {
		t.Fatal(err)
	}
	return site, ids
}

// textSearch runs bm25 for query in a read-only transaction.
func textSearch(t *testing.T, db *pgxpool.Pool, site int64, query string, limit, budget int) []textHit {
	t.Helper()
	ctx := context.Background()
	var hits []textHit
	err := pgx.BeginTxFunc(ctx, db, readOnly, func(tx pgx.Tx) (err error) {
		hits, _, err = bm25(ctx, tx, site, makePlan(Query{Text: query}, TextOnly).terms, limit, budget)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// The database scores Okapi BM25 with k1 = 1.2 and b = 0.75 (it once read
// both as integers: k1 1 and b 0, so a chunk's length never counted).
func TestBM25ScoresAreOkapi(t *testing.T) {
	db := pgtest.New(t)
	texts := []string{
		"parcel",
		"parcel parcel refund",
		"parcel refund window for damaged items shipped abroad by sea or air",
		"refund refund refund within thirty days",
		"nothing to see here",
	}
	site, _ := newTestSite(t, db, "a", texts)
	var tfs []map[string]int
	var lens []float64
	df := map[string]int{}
	total := 0.0
	for _, text := range texts {
		a := analyze("", text)
		tfs, lens = append(tfs, a.tf), append(lens, float64(a.length))
		total += float64(a.length)
		for term := range a.tf {
			df[term]++
		}
	}
	n, avgdl := float64(len(texts)), total/float64(len(texts))
	hits := textSearch(t, db, site, "parcel refund", 10, 0)
	if len(hits) != 4 {
		t.Fatalf("%d hits; want the 4 chunks with a query term", len(hits))
	}
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	rows, _ := db.Query(context.Background(), "select id, body from chunks where id = any($1)", ids)
	body := map[int64]string{}
	var id int64
	var b string
	pgx.ForEachRow(rows, []any{&id, &b}, func() error { body[id] = b; return nil })
	for _, h := range hits {
		i := 0
		for texts[i] != body[h.ID] {
			i++
		}
		want := 0.0
		for _, term := range []string{"parcel", "refund"} {
			tf := float64(tfs[i][term])
			idf := math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5))
			want += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*lens[i]/avgdl))
		}
		if math.Abs(h.Score-want) > 1e-9 {
			t.Errorf("%q scores %.6f; Okapi BM25 (k1 %.1f, b %.2f) gives %.6f", texts[i], h.Score, bm25K1, bm25B, want)
		}
	}
}

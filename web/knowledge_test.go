package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
	"kefu/web"
)

const adminToken = "test-admin-token-0123456789"

type apiClient struct {
	t   *testing.T
	h   http.Handler
	lib *knowledge.Library
}

func newAPI(t *testing.T) (*apiClient, *sites.Site) {
	t.Helper()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(context.Background(), "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	lib := knowledge.NewLibrary(db, retrieval.NewIndex(db, retrieval.NewHashEmbedder(retrieval.DefaultDim)), nil)
	if err := lib.Index().EnsureModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := web.New(web.Options{Sites: siteStore, Library: lib, Commerce: knowledge.NewCommerce(db),
		AdminToken: adminToken, MaxUploadBytes: 1 << 20})
	return &apiClient{t: t, h: srv.Handler(), lib: lib}, site
}

func (a *apiClient) do(method, path, contentType string, body []byte, token string) (int, map[string]any) {
	a.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	var out map[string]any
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func (a *apiClient) upload(name string, content []byte, token string) (int, map[string]any) {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return a.do(http.MethodPost, "/api/v1/knowledge/documents", mw.FormDataContentType(), buf.Bytes(), token)
}

func (a *apiClient) drain() {
	if err := a.lib.ProcessAll(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

func TestKnowledgeAPI(t *testing.T) {
	api, _ := newAPI(t)
	code, doc := api.upload("shipping.md", []byte("# Shipping\n\n## Express\nExpress parcels arrive in two days by courier.\n"), adminToken)
	if code != http.StatusAccepted || doc["status"] != "queued" {
		t.Fatalf("upload = %d %v; want 202 with status queued", code, doc)
	}
	api.drain()
	id := int64(doc["id"].(float64))
	code, got := api.do(http.MethodGet, fmt.Sprintf("/api/v1/knowledge/documents/%d", id), "", nil, adminToken)
	if code != http.StatusOK || got["status"] != "ready" || got["chunks"].(float64) < 1 {
		t.Fatalf("get document = %d %v; want ready with chunks", code, got)
	}
	code, res := api.do(http.MethodGet, "/api/v1/knowledge/search?q=express+courier&k=3", "", nil, adminToken)
	hits, _ := res["hits"].([]any)
	if code != http.StatusOK || len(hits) == 0 || !strings.Contains(fmt.Sprint(hits[0]), "Express parcels") {
		t.Fatalf("search = %d %v; want the express chunk first", code, res)
	}
	code, list := api.do(http.MethodGet, "/api/v1/knowledge/documents?limit=1", "", nil, adminToken)
	if items, _ := list["items"].([]any); code != http.StatusOK || len(items) != 1 {
		t.Fatalf("list = %d %v; want one item", code, list)
	}
	if code, _ := api.do(http.MethodDelete, fmt.Sprintf("/api/v1/knowledge/documents/%d", id), "", nil, adminToken); code != http.StatusNoContent {
		t.Fatalf("delete = %d; want 204", code)
	}
	if code, body := api.do(http.MethodGet, fmt.Sprintf("/api/v1/knowledge/documents/%d", id), "", nil, adminToken); code != http.StatusNotFound {
		t.Fatalf("get deleted = %d %v; want 404", code, body)
	}
}

func TestKnowledgeAPIBadInput(t *testing.T) {
	api, _ := newAPI(t)
	tests := []struct {
		name     string
		file     string
		content  []byte
		token    string
		wantCode int
		wantErr  string
	}{
		{"no token", "a.md", []byte("# A"), "", http.StatusUnauthorized, "unauthorized"},
		{"wrong token", "a.md", []byte("# A"), "nope", http.StatusUnauthorized, "unauthorized"},
		{"unsupported type", "a.exe", []byte("MZ"), adminToken, http.StatusUnsupportedMediaType, "unsupported_type"},
		{"too large", "big.txt", bytes.Repeat([]byte("a"), 2<<20), adminToken, http.StatusRequestEntityTooLarge, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := api.upload(tt.file, tt.content, tt.token)
			if code != tt.wantCode || !strings.Contains(fmt.Sprint(body["error"]), tt.wantErr) {
				t.Errorf("upload %s = %d %v; want %d %s", tt.file, code, body, tt.wantCode, tt.wantErr)
			}
		})
	}
	code, list := api.do(http.MethodGet, "/api/v1/knowledge/documents", "", nil, adminToken)
	if items, _ := list["items"].([]any); code != http.StatusOK || len(items) != 0 {
		t.Errorf("refused uploads left documents: %v", list)
	}
	if code, _ := api.do(http.MethodPost, "/api/v1/knowledge/documents", "application/json", []byte(`{}`), adminToken); code != http.StatusBadRequest {
		t.Errorf("upload without a file = %d; want 400", code)
	}
	if code, _ := api.do(http.MethodGet, "/api/v1/knowledge/documents/abc", "", nil, adminToken); code != http.StatusBadRequest {
		t.Errorf("get with a non-numeric id = %d; want 400", code)
	}
	if code, _ := api.do(http.MethodGet, "/api/v1/knowledge/search?q=", "", nil, adminToken); code != http.StatusBadRequest {
		t.Errorf("empty search = %d; want 400", code)
	}
	if code, _ := api.do(http.MethodGet, "/api/v1/knowledge/documents?site=site_nope", "", nil, adminToken); code != http.StatusNotFound {
		t.Errorf("unknown site = %d; want 404", code)
	}
}

func TestShopUpsertAPI(t *testing.T) {
	api, _ := newAPI(t)
	order := `{"status":"shipped","customer":{"id":"c1","email":"a@example.com"},"items":[{"sku":"S","title":"Sock","quantity":1,"price":2}],"total":2}`
	if code, body := api.do(http.MethodPut, "/api/v1/orders/LL-1", "application/json", []byte(order), adminToken); code != http.StatusOK || body["number"] != "LL-1" {
		t.Errorf("PUT order = %d %v; want 200 with the number from the URL", code, body)
	}
	for _, bad := range []string{`{"status":"lost"}`, `{"status":"shipped"`, `{"status":"shipped","bogus":1}`, `{"number":"LL-2","status":"shipped"}`} {
		if code, _ := api.do(http.MethodPut, "/api/v1/orders/LL-1", "application/json", []byte(bad), adminToken); code != http.StatusBadRequest {
			t.Errorf("PUT order %s = %d; want 400", bad, code)
		}
	}
	if code, _ := api.do(http.MethodPut, "/api/v1/products/P1", "application/json", []byte(`{"title":"Lamp","price":10}`), adminToken); code != http.StatusOK {
		t.Errorf("PUT product = %d; want 200", code)
	}
	if code, _ := api.do(http.MethodPut, "/api/v1/products/P1", "application/json", []byte(`{"title":"Lamp"}`), ""); code != http.StatusUnauthorized {
		t.Errorf("PUT product without token = %d; want 401", code)
	}
}

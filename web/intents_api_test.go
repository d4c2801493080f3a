package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"kefu/intents"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/web"
)

func TestCustomIntentsAPI(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, err := siteStore.Create(ctx, "Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	store := intents.NewStore(db)
	svc, err := intents.NewService(ctx, store, intents.ServiceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := &apiClient{t: t, h: web.New(web.Options{Sites: siteStore, Intents: svc, IntentStore: store, AdminToken: adminToken}).Handler()}

	var csv strings.Builder
	csv.WriteString("text,label\n")
	for _, s := range []string{"can you gift wrap it", "gift wrapping please", "wrap it as a present", "do you do gift wrap",
		"I want it gift wrapped", "add gift wrapping", "wrap my order as a gift", "is gift wrap available", "gift wrap with a card",
		"please wrap the parcel as a present", "gift-wrap option?", "wrap it nicely for my mum", "can I get it wrapped",
		"礼品包装", "可以帮我包装成礼物吗", "要礼盒包装", "能包装一下送人吗", "加个礼品包装", "送人的，帮忙包好看点", "有没有礼品包装服务"} {
		fmt.Fprintf(&csv, "%q,Gift.Wrap\n", s)
	}
	code, res := api.do(http.MethodPost, "/api/v1/intents/examples?site="+site.Key, "text/csv", []byte(csv.String()), adminToken)
	if code != http.StatusOK || res["added"] != float64(20) {
		t.Fatalf("POST examples = %d %v; want 20 added and a retrain report", code, res)
	}
	// The label comes back exactly as it was given.
	if got := svc.Classify(ctx, site.ID, "could you gift wrap this for me").Intent; got != "Gift.Wrap" {
		t.Errorf("after retraining, the site's classifier says %q; want Gift.Wrap", got)
	}
	if got := svc.Classify(ctx, site.ID+1, "could you gift wrap this for me").Intent; got == "Gift.Wrap" {
		t.Errorf("another site learned the custom intent")
	}
	code, list := api.do(http.MethodGet, "/api/v1/intents?site="+site.Key, "", nil, adminToken)
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(list["items"]), "label:Gift.Wrap") {
		t.Errorf("GET intents = %d %v; want Gift.Wrap listed", code, list)
	}
	for _, bad := range []struct {
		ctype, body string
	}{
		{"text/csv", "no,header\nhello,greeting\n"},
		{"application/json", `{"not":"an array"}`},
		{"application/json", `[]`},
	} {
		if code, _ := api.do(http.MethodPost, "/api/v1/intents/examples?site="+site.Key, bad.ctype, []byte(bad.body), adminToken); code != http.StatusBadRequest {
			t.Errorf("POST %s %q = %d; want 400", bad.ctype, bad.body, code)
		}
	}
	if code, _ := api.do(http.MethodPost, "/api/v1/intents/examples?site="+site.Key, "text/csv", []byte(csv.String()), ""); code != http.StatusUnauthorized {
		t.Errorf("POST without a token = %d; want 401", code)
	}
}

package web_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"kefu/chat"
)

// getRaw sends a GET and returns the status, headers and body as they came.
func (env *consoleEnv) getRaw(c caller, path string) (int, http.Header, string) {
	env.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.url+path, nil)
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "kefu_session", Value: c.cookie})
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAnalyticsSummaryAPI(t *testing.T) {
	env := newConsoleEnv(t)
	ctx := context.Background()
	// Today (UTC): one escalated conversation on each site; the first has a
	// shopper message whose intent looks like a spreadsheet formula.
	convID := env.queued(env.site)
	env.queued(env.other)
	msgs, err := env.store.Messages(ctx, convID, 0, 10, false)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("messages: %v %v", msgs, err)
	}
	if err := env.store.Annotate(ctx, msgs[0].ID, "=HYPERLINK(\"http://evil\")", 0.9, "neutral", 0); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	q := "/api/v1/analytics/summary?from=" + today + "&to=" + today
	site := "&site=" + env.site.Key

	admin := env.session("admin", env.admin)
	agent := env.session("agent", env.agent)
	_, siteTok, _ := env.accounts.Tokens.Create(ctx, "this site", &env.site.ID, &env.admin.ID)
	_, otherTok, _ := env.accounts.Tokens.Create(ctx, "other site", &env.other.ID, &env.admin.ID)
	_, allTok, _ := env.accounts.Tokens.Create(ctx, "all sites", nil, &env.admin.ID)

	for _, c := range []struct {
		name string
		c    caller
		path string
		want int
	}{
		{"anonymous", caller{}, q + site, 401},
		{"agent", agent, q + site, 403},
		{"other site's token", caller{bearer: otherTok}, q + site, 403},
		{"site token", caller{bearer: siteTok}, q + site, 200},
		{"all-sites token", caller{bearer: allTok}, q + site, 200},
		{"token without a site", caller{bearer: allTok}, q, 400},
		{"bootstrap token without a site", caller{bearer: bootstrapToken}, q, 400},
		{"admin", admin, q + site, 200},
		{"admin, every site", admin, q, 200},
		{"unknown site", admin, q + "&site=nope", 404},
		{"no dates", admin, "/api/v1/analytics/summary?site=" + env.site.Key, 400},
		{"bad date", admin, "/api/v1/analytics/summary?from=2026-13-01&to=2026-12-01" + site, 400},
		{"from after to", admin, "/api/v1/analytics/summary?from=2026-11-02&to=2026-11-01" + site, 400},
		{"over 366 days", admin, "/api/v1/analytics/summary?from=2025-01-01&to=2026-01-02" + site, 400},
		{"unknown format", admin, q + site + "&format=xml", 400},
		{"unknown csv table", admin, q + site + "&format=csv&table=secrets", 400},
	} {
		got, body := env.do(c.c, http.MethodGet, c.path, "", nil)
		if got != c.want {
			t.Errorf("%s: GET %s = %d %v; want %d", c.name, c.path, got, body, c.want)
			continue
		}
		if got >= 400 {
			e, ok := body["error"].(map[string]any)
			if !ok || e["code"] == "" || e["message"] == "" {
				t.Errorf("%s: error body %v; want {\"error\":{\"code\",\"message\"}}", c.name, body)
			}
		}
	}
	if _, body := env.do(admin, http.MethodGet, "/api/v1/analytics/summary?from=2025-01-01&to=2026-01-02"+site, "", nil); !strings.Contains(
		body["error"].(map[string]any)["message"].(string), "366") {
		t.Errorf("over-long period message = %v; want it to name the limit", body)
	}

	// JSON: the documented keys, one site, then every site.
	_, one := env.do(admin, http.MethodGet, q+site, "", nil)
	for _, k := range []string{"site", "from", "to", "previous_from", "previous_to", "current", "previous", "daily",
		"escalations_by_reason", "intents", "intent_trend", "csat", "model"} {
		if _, ok := one[k]; !ok {
			t.Errorf("summary has no %q: %v", k, one)
		}
	}
	cur := one["current"].(map[string]any)
	for _, k := range []string{"conversations", "escalated", "escalation_rate", "bot_resolved_confirmed", "bot_resolved_assumed",
		"csat_avg", "first_response_p50_ms", "first_response_p90_ms"} {
		if _, ok := cur[k]; !ok {
			t.Errorf("current has no %q: %v", k, cur)
		}
	}
	if one["site"] != env.site.Key || cur["conversations"] != 1.0 || cur["escalated"] != 1.0 || cur["escalation_rate"] != 1.0 ||
		cur["csat_avg"] != nil || one["from"] != today {
		t.Errorf("one site: %v", one)
	}
	if reasons := one["escalations_by_reason"].([]any); reasons[0].(map[string]any)["reason"] != chat.ReasonRequested ||
		reasons[0].(map[string]any)["count"] != 1.0 {
		t.Errorf("reasons = %v; want requested 1 first", reasons)
	}
	_, all := env.do(admin, http.MethodGet, q, "", nil)
	if all["site"] != "" || all["current"].(map[string]any)["conversations"] != 2.0 {
		t.Errorf("every site: site %v, current %v; want \"\" and 2 conversations", all["site"], all["current"])
	}

	// CSV: a header row, attachment, one row per day; formula-like cells defused.
	code, h, body := env.getRaw(admin, q+site+"&format=csv&table=daily")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Disposition"), ".csv") {
		t.Fatalf("daily csv = %d %v", code, h)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") !=
		"day,conversations,escalated,bot_resolved_confirmed,bot_resolved_assumed,csat_avg,sentiment_avg,negative" ||
		recs[1][0] != today || recs[1][1] != "1" || recs[1][2] != "1" {
		t.Errorf("daily csv = %q, %v", body, err)
	}
	_, _, body = env.getRaw(admin, q+site+"&format=csv&table=intents")
	recs, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
	if len(recs) != 2 || recs[1][0] != "'=HYPERLINK(\"http://evil\")" || recs[1][1] != "1" {
		t.Errorf("intents csv = %q; want the formula prefixed with '", body)
	}
	for table, header := range map[string]string{
		"summary":      "measure,",
		"reasons":      "reason,count,previous",
		"intent_trend": "day,intent,count",
		"csat":         "group,avg,count,score_1,score_2,score_3,score_4,score_5",
		"model":        "replies,ttft_p50_ms,ttft_p95_ms,tokens,price_per_1k_tokens,estimated_cost",
	} {
		code, _, body := env.getRaw(caller{bearer: siteTok}, q+site+"&format=csv&table="+table)
		if code != 200 || !strings.HasPrefix(body, header) {
			t.Errorf("%s csv = %d %q; want header %q", table, code, body, header)
		}
	}
	if code, _, body := env.getRaw(admin, q+site+"&format=csv&table=summary"); !strings.Contains(body, "\nescalation_rate,1,0\n") {
		t.Errorf("summary csv = %d %q; want escalation_rate 1 against 0", code, body)
	}
	// Other site's token cannot export either.
	if code, _, _ := env.getRaw(caller{bearer: otherTok}, q+site+"&format=csv&table=daily"); code != 403 {
		t.Errorf("other site's token exported csv: %d", code)
	}
}

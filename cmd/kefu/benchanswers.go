package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"

	"kefu/chat"
	"kefu/internal/sites"
	"kefu/retrieval"
)

// answersBench asks a running kefu server the questions of an evaluation
// file (docs/eval/demo/questions.csv's columns) through the widget socket,
// as shoppers would, and judges each reply by the facts it must contain.
// It is a black box: any release of kefu can be measured the same way.
type answersBench struct {
	url, site, data, half string
	concurrency           int
	timeout               time.Duration
	asJSON, show          bool
	invented              string // the fake model's log of invented facts
}

// answerCase is one question of the file.
type answerCase struct {
	ID, Split, Lang, Kind, Customer string
	Context                         []string
	Query                           string
	Facts                           []chat.Fact
}

// answerVerdict is how one reply was judged.
type answerVerdict struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Lang    string `json:"lang"`
	Query   string `json:"query"`
	Reply   string `json:"reply"`
	Verdict string `json:"verdict"` // correct, wrong, declined (answerable); declined, answered (oos)
	Missing string `json:"missing,omitempty"`
}

func cmdBenchAnswers(ctx context.Context, e env, args []string) error {
	var o answersBench
	var secret, origin string
	setup := func(fs *flag.FlagSet) {
		fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the running kefu server")
		fs.StringVar(&o.site, "site", "", "site key (default: the only site)")
		fs.StringVar(&secret, "secret", "", "the site's identity secret; with --origin, the database is not opened (to measure an older release on its own database)")
		fs.StringVar(&origin, "origin", "", "an allowed origin of the site (with --secret)")
		fs.StringVar(&o.data, "data", "docs/eval/demo/questions.csv", "questions (id,split,lang,kind,customer,context,query,expected_source,facts,notes)")
		fs.StringVar(&o.half, "half", "dev", "dev, held or all")
		fs.IntVar(&o.concurrency, "concurrency", 4, "questions asked at once")
		fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for each reply")
		fs.BoolVar(&o.asJSON, "json", false, "print every verdict as JSON")
		fs.BoolVar(&o.show, "show", false, "print the questions that were not right, with the replies")
		fs.StringVar(&o.invented, "invented", "", "the hallucinating fake model's log (kefu bench fakemodel --log): report how many invented facts reached shoppers")
	}
	measure := func(site *sites.Site) error {
		cases, err := readAnswerCases(o.data, o.half)
		if err != nil {
			return err
		}
		verdicts := o.run(ctx, site, cases)
		if o.asJSON {
			return writeJSON(e.stdout, verdicts)
		}
		o.print(e, verdicts)
		if o.invented != "" {
			return reportInvented(e, o.invented, verdicts)
		}
		return nil
	}
	if slices.Contains(args, "-secret") || slices.Contains(args, "--secret") || hasPrefixArg(args, "-secret=", "--secret=") {
		fs := newFlagSet(e, "bench answers")
		setup(fs)
		if err := parse(fs, args); err != nil {
			return err
		}
		if o.site == "" || origin == "" {
			return usageErr("--secret needs --site and --origin")
		}
		return measure(&sites.Site{Key: o.site, Secret: secret, AllowedOrigins: []string{origin}})
	}
	return dbCommand(ctx, e, "bench answers", args, setup, func(db *database, logger *slog.Logger, _ []string) error {
		site, err := resolveSite(ctx, db, o.site)
		if err != nil {
			return err
		}
		return measure(site)
	})
}

func hasPrefixArg(args []string, prefixes ...string) bool {
	for _, a := range args {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

func readAnswerCases(path, half string) ([]answerCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, usageErr("%s has no questions", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, c := range []string{"id", "split", "lang", "kind", "customer", "context", "query", "facts"} {
		if _, ok := col[c]; !ok {
			return nil, usageErr("%s: no column %q", path, c)
		}
	}
	var out []answerCase
	for _, r := range rows[1:] {
		c := answerCase{ID: r[col["id"]], Split: r[col["split"]], Lang: r[col["lang"]], Kind: r[col["kind"]],
			Customer: r[col["customer"]], Query: r[col["query"]], Facts: chat.ParseFacts(r[col["facts"]])}
		if ctxText := strings.TrimSpace(r[col["context"]]); ctxText != "" {
			c.Context = strings.Split(ctxText, " || ")
		}
		if half == "all" || c.Split == half {
			out = append(out, c)
		}
	}
	return out, nil
}

func (o *answersBench) run(ctx context.Context, site *sites.Site, cases []answerCase) []answerVerdict {
	u, _ := url.Parse(o.url)
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	wsURL := scheme + "://" + u.Host + "/v1/widget/ws?site=" + url.QueryEscape(site.Key)
	origin := "http://localhost:8080"
	if len(site.AllowedOrigins) > 0 {
		origin = site.AllowedOrigins[0]
	}
	out := make([]answerVerdict, len(cases))
	sem := make(chan struct{}, max(1, o.concurrency))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			reply, answered, err := o.ask(ctx, wsURL, origin, site.Secret, c)
			v := answerVerdict{ID: c.ID, Kind: c.Kind, Lang: c.Lang, Query: c.Query, Reply: reply}
			switch {
			case err != nil:
				v.Verdict, v.Reply = "declined", "(no reply: "+err.Error()+")"
			case !answered && c.Kind == "oos":
				v.Verdict = "declined"
			case c.Kind == "oos":
				v.Verdict = "answered"
			case !answered:
				v.Verdict = "declined"
			default:
				missing := chat.MissingFacts(reply, c.Facts)
				v.Verdict = "correct"
				if len(missing) > 0 {
					v.Verdict = "wrong"
					var m []string
					for _, f := range missing {
						m = append(m, f.String())
					}
					v.Missing = strings.Join(m, " | ")
				}
			}
			out[i] = v
		}()
	}
	wg.Wait()
	return out
}

// declinePhrases recognise a release that does not mark its replies
// answered or not (the widget's message frame gained "answered" later).
var declinePhrases = []string{"I'm not sure about that one", "这个问题我不太确定"}

// ask opens a new widget conversation (signed in as the case's customer),
// sends the context messages and then the question, and returns the bot's
// reply to the question and whether it answered (false when it declined,
// escalated without a reply, or said nothing).
func (o *answersBench) ask(ctx context.Context, wsURL, origin, secret string, c answerCase) (string, bool, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.DialContext(ctx, wsURL, http.Header{"Origin": {origin}})
	if err != nil {
		return "", false, err
	}
	defer conn.Close()
	hello := map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0, "locale": "en-US"}
	if c.Lang == "zh" {
		hello["locale"] = "zh-CN"
	}
	if c.Customer != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(c.Customer))
		hello["identity"] = map[string]string{"user_id": c.Customer, "hash": hex.EncodeToString(mac.Sum(nil))}
	}
	if err := conn.WriteJSON(hello); err != nil {
		return "", false, err
	}
	var reply string
	var answered bool
	for n, text := range append(append([]string(nil), c.Context...), c.Query) {
		if err := conn.WriteJSON(map[string]any{"type": "message", "client_id": strconv.Itoa(n), "text": text}); err != nil {
			return "", false, err
		}
		if reply, answered, err = o.await(conn); err != nil {
			return "", false, err
		}
	}
	return reply, answered, nil
}

// await reads frames until the bot replies to the message just sent, or
// the conversation goes to a person without a reply.
func (o *answersBench) await(conn *websocket.Conn) (string, bool, error) {
	conn.SetReadDeadline(time.Now().Add(o.timeout))
	acked, notice := false, ""
	for {
		var f struct {
			Type, Role, Text, State, Message string
			Answered                         *bool `json:"answered"`
			Products                         []chat.Product
		}
		if err := conn.ReadJSON(&f); err != nil {
			if notice != "" {
				return "(escalated: " + notice + ")", false, nil
			}
			return "", false, fmt.Errorf("no reply in %s", o.timeout)
		}
		switch {
		case f.Type == "ack":
			acked = true
		case f.Type == "message" && f.Role == "bot" && acked:
			answered := f.Answered == nil || *f.Answered
			for _, p := range declinePhrases {
				if strings.Contains(f.Text, p) {
					answered = false
				}
			}
			text := f.Text
			for _, p := range f.Products { // the cards are part of the answer
				text += fmt.Sprintf("\n[%s · %.2f %s]", p.Title, p.Price, p.Currency)
			}
			return text, answered, nil
		case f.Type == "message" && f.Role == "system" && acked:
			// escalated, or a notice: a bot reply may still follow while
			// the conversation waits (keep reading, but not for long)
			notice = f.Text
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		case f.Type == "error":
			return "", false, fmt.Errorf("error frame: %s", f.Message)
		}
	}
}

func (o *answersBench) print(e env, vs []answerVerdict) {
	type tally struct{ n, correct, wrong, declined, answered int }
	groups := map[string]*tally{}
	add := func(key string, v answerVerdict) {
		t := groups[key]
		if t == nil {
			t = &tally{}
			groups[key] = t
		}
		t.n++
		switch v.Verdict {
		case "correct":
			t.correct++
		case "wrong":
			t.wrong++
		case "declined":
			t.declined++
		case "answered":
			t.answered++
		}
	}
	for _, v := range vs {
		kind := "answerable"
		if v.Kind == "oos" {
			kind = "out of scope"
		}
		add(kind, v)
		add(kind+" · "+v.Kind, v)
		add(kind+" · "+v.Lang, v)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tQUESTIONS\tCORRECT\tWRONG\tDECLINED\tOOS ANSWERED")
	for _, k := range keys {
		t := groups[k]
		n := float64(t.n)
		if strings.HasPrefix(k, "out of scope") {
			fmt.Fprintf(tw, "%s\t%d\t\t\t%.3f\t%.3f\n", k, t.n, float64(t.declined)/n, float64(t.answered)/n)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t\n", k, t.n, float64(t.correct)/n, float64(t.wrong)/n, float64(t.declined)/n)
	}
	tw.Flush()
	if !o.show {
		return
	}
	for _, v := range vs {
		if v.Verdict == "correct" || (v.Kind == "oos" && v.Verdict == "declined") {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s [%s %s] %s: %s\n  missing: %s\n  reply: %s\n", v.ID, v.Kind, v.Lang, v.Verdict, v.Query, v.Missing,
			strings.ReplaceAll(snip(v.Reply, 400), "\n", " ⏎ "))
	}
}

func snip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// reportInvented counts the invented facts of the fake model's log that
// reached a shopper's final reply.
func reportInvented(e env, path string, vs []answerVerdict) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var all strings.Builder
	for _, v := range vs {
		all.WriteString(v.Reply + "\n")
	}
	replies := all.String()
	total, reached := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var f struct{ Fact string }
		if json.Unmarshal([]byte(line), &f) != nil || f.Fact == "" {
			continue
		}
		total++
		if retrieval.ContainsWhole(replies, f.Fact) {
			reached++
			if reached <= 5 {
				for _, v := range vs {
					if retrieval.ContainsWhole(v.Reply, f.Fact) {
						fmt.Fprintf(e.stdout, "reached: %q in %s: %s\n", f.Fact, v.ID, snip(strings.ReplaceAll(v.Reply, "\n", " "), 300))
						break
					}
				}
			}
		}
	}
	if total == 0 {
		fmt.Fprintln(e.stdout, "the fake model invented nothing")
		return nil
	}
	fmt.Fprintf(e.stdout, "invented facts: %d; reached a shopper: %d; caught: %.3f\n", total, reached, 1-float64(reached)/float64(total))
	return nil
}

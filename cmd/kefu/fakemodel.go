//go:build bench

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"kefu/internal/fakellm"
)

// cmdBenchFakeModel serves the fake OpenAI-compatible model for
// measurements against a real server (scripts/answers-eval.sh). With
// --mode hallucinate it answers from the first passage of its prompt but
// invents a fact in every first draft (changes a number, adds a price and a
// tracking number), and writes each invented fact to --log; when asked to
// correct a draft it answers from the passage as written.
func cmdBenchFakeModel(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "bench fakemodel")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	mode := fs.String("mode", "hallucinate", "hallucinate")
	logPath := fs.String("log", "", "append each invented fact here (one JSON object a line)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *mode != "hallucinate" {
		return usageErr("--mode is hallucinate")
	}
	var mu sync.Mutex
	var log *os.File
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		log = f
	}
	fake := fakellm.New()
	n := 0
	fake.Respond(func(r fakellm.Request) fakellm.Reply {
		mu.Lock()
		defer mu.Unlock()
		n++
		text, invented := hallucinate(r.Prompt(), n)
		if strings.Contains(r.Prompt(), "previous draft stated") || strings.Contains(r.Prompt(), "Rewrite the shopper's last message") {
			return fakellm.Reply{Text: faithful(r.Prompt())}
		}
		if log != nil {
			for _, f := range invented {
				b, _ := json.Marshal(map[string]string{"fact": f, "question": r.LastUser()})
				log.Write(append(b, '\n'))
			}
		}
		return fakellm.Reply{Text: text}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "fake model on http://%s/v1\n", ln.Addr())
	srv := &http.Server{Handler: fake}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

var (
	passageRE = regexp.MustCompile(`(?s)<passage n="1" source="[^"]*" heading="[^"]*">\n(.*?)\n</passage>`)
	firstNum  = regexp.MustCompile(`\d+`)
)

// faithful is the first passage (up to 600 characters), cited.
func faithful(prompt string) string {
	m := passageRE.FindStringSubmatch(prompt)
	if m == nil {
		return "I don't know that one; I can bring in a person from our team."
	}
	text := []rune(strings.ReplaceAll(m[1], "\n", " "))
	if len(text) > 600 {
		text = text[:600]
	}
	return strings.TrimSpace(string(text)) + " [1]"
}

// hallucinate is faithful with a number changed, a price and a tracking
// number added; it returns the invented facts.
func hallucinate(prompt string, n int) (string, []string) {
	text := faithful(prompt)
	var invented []string
	if loc := firstNum.FindStringIndex(text); loc != nil {
		// a number that is not in the passage (and distinct enough to be
		// recognised if it reaches a shopper)
		fake := strconv.Itoa(9000 + n)
		text = text[:loc[0]] + fake + text[loc[1]:]
		invented = append(invented, fake)
	}
	price := fmt.Sprintf("%d.%02d", 40+n%50, 97)
	tracking := fmt.Sprintf("1Z9%08dX", 10000000+n)
	text += fmt.Sprintf(" It is $%s, and your tracking number is %s.", price, tracking)
	return text, append(invented, price, tracking)
}

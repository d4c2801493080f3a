package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"kefu/chat"
	"kefu/intents"
	"kefu/internal/app"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/llm"
)

// newAnswerEngine builds the bot for answering outside conversations (kefu
// kb ask and kb test): the analyzer, the library, the commerce data and the
// model when one is configured.
func newAnswerEngine(ctx context.Context, e env, db *database, logger *slog.Logger) (*chat.Engine, func(), error) {
	lib, err := app.NewLibrary(ctx, db.Pool, embedEnv(e), logger)
	if err != nil {
		return nil, nil, err
	}
	// After the embedder changed (a new kefu, KEFU_EMBEDDER), a running serve
	// or kb reindex makes the new vectors; until then search reads the
	// chunks' text only, and answers are worse: say so.
	if n, err := lib.Index().Missing(ctx); err == nil && n > 0 {
		fmt.Fprintf(e.stderr, "note: %d knowledge chunks have no vectors of %s yet (the embedder changed); search reads their text only until `kefu kb reindex` (or a running `kefu serve`) embeds them\n",
			n, lib.Index().Embedder().Model())
	}
	understanding, err := intents.NewService(ctx, intents.NewStore(db.Pool), intents.ServiceOptions{Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	if err := understanding.Load(ctx); err != nil {
		return nil, nil, err
	}
	opts := chat.Options{Store: chat.NewStore(db.Pool), Sites: sites.NewStore(db.Pool), Analyzer: chat.ServiceAnalyzer{Service: understanding},
		Library: lib, Commerce: knowledge.NewCommerce(db.Pool), Logger: logger}
	if base := e.getenv("OPENAI_BASE_URL"); base != "" {
		opts.Model = llm.New(llm.Config{BaseURL: base, APIKey: e.getenv("OPENAI_API_KEY"), Model: envOr(e, "KEFU_CHAT_MODEL", "gpt-4o-mini")})
	}
	eng := chat.NewEngine(opts)
	return eng, func() { eng.Close(context.Background()) }, nil
}

// cmdKBAsk asks the bot one question as a shopper would, without storing
// anything, and prints the answer with how it came to it.
func cmdKBAsk(ctx context.Context, e env, args []string) error {
	var siteKey, customer, locale, file string
	var asJSON bool
	var earlier stringList
	return dbCommand(ctx, e, "kb ask", args, func(fs *flag.FlagSet) {
		fs.StringVar(&siteKey, "site", "", "site key (default: the only site)")
		fs.StringVar(&customer, "customer", "", "ask as this verified customer (the shop's customer id)")
		fs.StringVar(&locale, "locale", "", "the shopper's locale (en-US, zh-CN)")
		fs.Var(&earlier, "context", "an earlier shopper message (repeat for several, oldest first)")
		fs.StringVar(&file, "file", "", "ask every line of this file instead (\"earlier message || question\" for a follow-up)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}, func(db *database, logger *slog.Logger, rest []string) error {
		if len(rest) == 0 && file == "" {
			return usageErr("kefu kb ask [--site KEY] [--customer ID] [--context MSG]... QUESTION | --file FILE")
		}
		site, err := resolveSite(ctx, db, siteKey)
		if err != nil {
			return err
		}
		eng, stop, err := newAnswerEngine(ctx, e, db, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		defer stop()
		reqs := []chat.AskRequest{{Text: strings.Join(rest, " "), Context: earlier, Customer: customer, Locale: locale}}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			reqs = nil
			for _, line := range strings.Split(string(b), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					parts := strings.Split(line, " || ")
					reqs = append(reqs, chat.AskRequest{Text: parts[len(parts)-1], Context: parts[:len(parts)-1], Customer: customer, Locale: locale})
				}
			}
		}
		for _, req := range reqs {
			res, err := eng.Ask(ctx, site, req)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(e.stdout, res); err != nil {
					return err
				}
				continue
			}
			if len(reqs) > 1 {
				fmt.Fprintf(e.stdout, "\n> %s\n", req.Text)
			}
			printAsk(e, res)
		}
		return nil
	})
}

func printAsk(e env, res *chat.AskResult) {
	{
		fmt.Fprintln(e.stdout, res.Reply)
		for _, c := range res.Citations {
			fmt.Fprintf(e.stdout, "[%d] %s (%s)\n", c.N, c.Title, c.Source)
		}
		for _, p := range res.Products {
			fmt.Fprintf(e.stdout, "· %s %s %.2f %s\n", p.SKU, p.Title, p.Price, p.Currency)
		}
		conf := "-"
		if res.Confidence != nil {
			conf = fmt.Sprintf("%.2f", *res.Confidence)
		}
		fmt.Fprintf(e.stdout, "intent %s · answered %v · confidence %s", res.Intent, res.Answered, conf)
		if res.Escalation != "" {
			fmt.Fprintf(e.stdout, " · would escalate: %s", res.Escalation)
		}
		fmt.Fprintln(e.stdout)
	}
}

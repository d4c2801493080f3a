package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/app"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/knowledge/demo"

	"github.com/jackc/pgx/v5/pgxpool"
)

// demoAdminEmail is the demo shop's admin login.
const demoAdminEmail = "admin@example.com"

// demoSeed says what seeding did.
type demoSeed struct {
	SiteKey       string `json:"site_key"`
	SiteCreated   bool   `json:"site_created"`
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password,omitempty"` // only when generated now
	Products      int    `json:"products"`
	Orders        int    `json:"orders"`
	Documents     int    `json:"documents"`
	AnswerTests   int    `json:"answer_tests"`
}

func cmdSeed(ctx context.Context, e env, args []string) error {
	var withDemo, asJSON bool
	return dbCommand(ctx, e, "seed", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&withDemo, "demo", false, "load the demo shop (idempotent)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}, func(db *database, logger *slog.Logger, _ []string) error {
		if !withDemo {
			return usageErr("kefu seed --demo (the only seed there is)")
		}
		lib, err := app.NewLibrary(ctx, db.Pool, embedEnv(e), logger)
		if err != nil {
			return err
		}
		res, err := seedDemo(ctx, db.Pool, lib, e, logger)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, res)
		}
		return nil
	})
}

// seedDemo creates the demo site and admin when missing and (re)loads the
// demo products and orders; running it again changes nothing.
func seedDemo(ctx context.Context, pool *pgxpool.Pool, lib *knowledge.Library, e env, logger *slog.Logger) (*demoSeed, error) {
	siteStore := sites.NewStore(pool)
	res := &demoSeed{AdminEmail: demoAdminEmail}
	site, err := siteStore.ByName(ctx, demo.Site)
	if errors.Is(err, sites.ErrNotFound) {
		site, err = siteStore.Create(ctx, demo.Site, []string{"http://localhost:8080", "http://127.0.0.1:8080"})
		res.SiteCreated = true
	}
	if err != nil {
		return nil, fmt.Errorf("demo site: %w", err)
	}
	res.SiteKey = site.Key

	users := account.NewUsers(pool)
	if _, err := users.ByEmail(ctx, demoAdminEmail); errors.Is(err, account.ErrNotFound) {
		password := e.getenv("KEFU_ADMIN_PASSWORD")
		if password == "" {
			password = newPassword()
			res.AdminPassword = password
		}
		if _, err := users.Create(ctx, demoAdminEmail, "Demo Admin", account.RoleAdmin, password); err != nil {
			return nil, fmt.Errorf("demo admin: %w", err)
		}
	} else if err != nil {
		return nil, err
	}

	commerce := knowledge.NewCommerce(pool)
	for _, f := range []struct {
		file string
		load func(context.Context, io.Reader, knowledge.ImportOptions) (knowledge.ImportResult, error)
		n    *int
	}{
		{"products.json", commerce.ImportProducts, &res.Products},
		{"orders.json", commerce.ImportOrders, &res.Orders},
	} {
		r, err := demo.FS.Open(f.file)
		if err != nil {
			return nil, fmt.Errorf("demo data: %w", err)
		}
		out, err := f.load(ctx, r, knowledge.ImportOptions{Format: "json", SiteID: site.ID})
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("load demo %s: %w", f.file, err)
		}
		if len(out.Errors) > 0 {
			return nil, fmt.Errorf("demo %s line %d: %s", f.file, out.Errors[0].Line, out.Errors[0].Err)
		}
		*f.n = out.Loaded
	}
	docs, err := fs.Glob(demo.FS, "docs/*.md")
	if err != nil {
		return nil, err
	}
	for _, name := range docs {
		data, err := demo.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if _, err := lib.Add(ctx, site.ID, path.Base(name), data); err != nil {
			return nil, fmt.Errorf("demo document %s: %w", name, err)
		}
	}
	if err := lib.ProcessAll(ctx); err != nil {
		return nil, err
	}
	res.Documents = len(docs)
	if res.AnswerTests, err = seedAnswerTests(ctx, pool, site.ID); err != nil {
		return nil, err
	}
	logger.Info("demo shop ready", "site", site.Key, "products", res.Products, "orders", res.Orders, "documents", res.Documents)
	if res.AdminPassword != "" {
		fmt.Fprintf(e.stdout, "Demo admin created: %s, password (shown once): %s\n", demoAdminEmail, res.AdminPassword)
	}
	return res, nil
}

// seedAnswerTests gives the demo site its own answer tests, once.
func seedAnswerTests(ctx context.Context, pool *pgxpool.Pool, siteID int64) (int, error) {
	tests := chat.NewAnswerTests(pool, nil, nil)
	have, err := tests.List(ctx, siteID)
	if err != nil || len(have) > 0 {
		return len(have), err
	}
	b, err := demo.FS.ReadFile("answer-tests.json")
	if err != nil {
		return 0, err
	}
	var list []chat.AnswerTest
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, fmt.Errorf("demo answer tests: %w", err)
	}
	for _, t := range list {
		if _, err := tests.Add(ctx, siteID, t); err != nil {
			return 0, fmt.Errorf("demo answer test %q: %w", t.Question, err)
		}
	}
	return len(list), nil
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

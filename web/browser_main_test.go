package web_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"kefu/web"
)

// chromiumPath is Debian's Chromium (scripts/provision.sh --chromium); the
// tests never download a browser.
const chromiumPath = "/usr/bin/chromium"

// One headless Chromium serves every browser test of this binary; each test
// opens its own tabs. TestMain stops it.
var browserState struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	web.ObserveResponses(checkResponse) // every response checked against openapi.yaml (openapi_test.go)
	code := m.Run()
	if !reportResponses(os.Stderr) && code == 0 {
		code = 1
	}
	if browserState.cancel != nil {
		browserState.cancel()
		os.RemoveAll(browserState.dir)
	}
	// Every goroutine a server started (sockets, jobs) and the browser's are
	// stopped by now.
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// browser returns the shared browser, starting it on first use. Without
// Chromium the test skips, except under CI=true, where it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is missing at %s (CI=true): run scripts/provision.sh --chromium", chromiumPath)
		}
		t.Skipf("Chromium is missing at %s: run scripts/provision.sh --chromium (make test does)", chromiumPath)
	}
	b := &browserState
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "kefu-chromium-")
		if b.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromiumPath),
			chromedp.UserDataDir(b.dir),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("no-proxy-server", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.WindowSize(1280, 800),
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		b.ctx, b.cancel = bctx, func() { bcancel(); acancel() }
		// The first Run starts the browser; its context owns it from then on.
		start, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- chromedp.Do(bctx) }()
		select {
		case b.err = <-done:
		case <-start.Done():
			b.err = start.Err()
		}
	})
	if b.err != nil {
		t.Fatalf("start Chromium: %v", b.err)
	}
	return b.ctx
}

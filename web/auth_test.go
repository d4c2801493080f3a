package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"kefu/internal/account"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/web"
)

// loginRequest is POST /api/v1/auth/login from addr.
func loginRequest(email, password, addr string) *http.Request {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr
	return req
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "kefu_session" {
			return c
		}
	}
	return nil
}

func TestLoginLogout(t *testing.T) {
	env := newConsoleEnv(t)
	post := func(body, ctype, origin string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", env.url+"/api/v1/auth/login", strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	good := `{"email":"ANN@example.com","password":"long-enough"}`
	tests := []struct {
		name, body, ctype, origin string
		want                      int
	}{
		{"wrong password", `{"email":"ann@example.com","password":"nope-nope"}`, "application/json", "", 401},
		{"unknown email", `{"email":"who@example.com","password":"long-enough"}`, "application/json", "", 401},
		{"a form post (cross-site forms cannot send JSON)", "email=ann@example.com&password=long-enough", "application/x-www-form-urlencoded", "", 415},
		{"no content type", good, "", "", 415},
		{"from a foreign page", good, "application/json", "https://evil.example.com", 403},
		{"malformed JSON", `{"email":`, "application/json", "", 400},
		{"unknown fields", `{"email":"a@b.c","password":"x","remember":true}`, "application/json", "", 400},
	}
	for _, tt := range tests {
		resp, out := post(tt.body, tt.ctype, tt.origin)
		if resp.StatusCode != tt.want || sessionCookieOf(resp) != nil {
			t.Errorf("login with %s = %d %v; want %d and no cookie", tt.name, resp.StatusCode, out, tt.want)
		}
	}

	resp, out := post(good, "application/json; charset=utf-8", env.url)
	ck := sessionCookieOf(resp)
	if resp.StatusCode != 200 || ck == nil {
		t.Fatalf("login = %d %v; want 200 and a cookie", resp.StatusCode, out)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure over http", ck)
	}
	csrf, _ := out["csrf_token"].(string)
	user, _ := out["user"].(map[string]any)
	if csrf == "" || user["email"] != "ann@example.com" || user["role"] != "agent" || strings.Contains(fmt.Sprint(out), "password") {
		t.Errorf("login answer %v; want the user and a CSRF token, no password hash", out)
	}
	if sites, _ := out["sites"].([]any); len(sites) != 1 {
		t.Errorf("login answer sites %v; want ann's one site", out["sites"])
	}
	ann := caller{name: "ann", cookie: ck.Value, csrf: csrf}
	if code, me := env.json(ann, "GET", "/api/v1/auth/me", nil); code != 200 || me["csrf_token"] != csrf {
		t.Errorf("me = %d %v; want the same CSRF token", code, me)
	}
	// Signing in again with a stale cookie still works.
	stale := caller{cookie: "deadbeef"}
	if code, _ := env.json(stale, "GET", "/api/v1/auth/me", nil); code != 401 {
		t.Errorf("me with a stale cookie = %d; want 401", code)
	}

	noCSRF := ann
	noCSRF.csrf = ""
	if code, _ := env.json(noCSRF, "POST", "/api/v1/auth/logout", nil); code != 403 {
		t.Errorf("logout without the CSRF token = %d; want 403", code)
	}
	req, _ := http.NewRequest("POST", env.url+"/api/v1/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: "kefu_session", Value: ann.cookie})
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ck := sessionCookieOf(resp); resp.StatusCode != 204 || ck == nil || ck.MaxAge >= 0 {
		t.Errorf("logout = %d, cookie %+v; want 204 and the cookie cleared", resp.StatusCode, ck)
	}
	// The session is over on the server, not just in the browser.
	if code, _ := env.json(ann, "GET", "/api/v1/auth/me", nil); code != 401 {
		t.Errorf("me after logout = %d; want 401", code)
	}
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	db := pgtest.New(t)
	accounts := account.NewStore(db)
	if _, err := accounts.Users.Create(context.Background(), "ann@example.com", "Ann", account.RoleAdmin, "long-enough"); err != nil {
		t.Fatal(err)
	}
	srv := web.New(web.Options{Sites: sites.NewStore(db), Accounts: accounts, PublicURL: "https://kefu.example.com"})
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, loginRequest("ann@example.com", "long-enough", "192.0.2.1:1000"))
	ck := sessionCookieOf(rec.Result())
	if rec.Code != 200 || ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Errorf("login behind https = %d, cookie %+v; want a Secure HttpOnly cookie", rec.Code, ck)
	}
}

func TestLoginRateLimit(t *testing.T) {
	db := pgtest.New(t)
	accounts := account.NewStore(db)
	for _, e := range []string{"ann@example.com", "bob@example.com"} {
		if _, err := accounts.Users.Create(context.Background(), e, "", account.RoleAgent, "long-enough"); err != nil {
			t.Fatal(err)
		}
	}
	h := web.New(web.Options{Sites: sites.NewStore(db), Accounts: accounts}).Handler()
	login := func(email, password, addr string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, loginRequest(email, password, addr))
		return rec.Code
	}
	// Why concurrent: bcrypt is slow (much slower under -race), and the
	// buckets refill while sequential attempts run; the limiter is checked
	// before the password, so a burst shows the limits exactly.
	burst := func(n int, req func(i int) *http.Request) map[int]int {
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req(i))
				if rec.Code == 429 && rec.Header().Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				codes <- rec.Code
			}()
		}
		wg.Wait()
		close(codes)
		got := map[int]int{}
		for c := range codes {
			got[c]++
		}
		return got
	}
	// Per email: five wrong guesses from different addresses, then even the
	// right password waits (a guesser cannot rotate addresses around it).
	got := burst(8, func(i int) *http.Request {
		return loginRequest("ann@example.com", "wrong-guess", fmt.Sprintf("198.51.100.%d:1", i))
	})
	if got[401] != 5 || got[429] != 3 {
		t.Errorf("8 guesses at one email: %v; want 5 answered (401) and 3 refused (429)", got)
	}
	if code := login("ANN@example.com", "long-enough", "198.51.100.99:1"); code != 429 {
		t.Errorf("then the right password = %d; want 429", code)
	}
	if code := login("bob@example.com", "long-enough", "198.51.100.99:1"); code != 200 {
		t.Errorf("bob, another email, same address = %d; want 200", code)
	}
	// Per address: twenty attempts at many emails, then the address waits;
	// X-Forwarded-For does not make a new address.
	got = burst(24, func(i int) *http.Request {
		req := loginRequest(fmt.Sprintf("u%d@example.com", i), "x", "203.0.113.7:1")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		return req
	})
	if got[401] != 20 || got[429] != 4 {
		t.Errorf("24 attempts from one address: %v; want 20 answered (401) and 4 refused (429)", got)
	}
}

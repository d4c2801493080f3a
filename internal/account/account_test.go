package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/account"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

func newAccounts(t *testing.T) (*account.Store, *pgxpool.Pool) {
	t.Helper()
	db := pgtest.New(t)
	return account.NewStore(db), db
}

func mustUser(t *testing.T, a *account.Store, email, role string) *account.User {
	t.Helper()
	u, err := a.Users.Create(context.Background(), email, "", role, "long-enough")
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	a, _ := newAccounts(t)
	ann := mustUser(t, a, "ann@example.com", account.RoleAgent)
	off := mustUser(t, a, "off@example.com", account.RoleAgent)
	mustUser(t, a, "boss@example.com", account.RoleAdmin)
	if _, err := a.Users.SetDisabled(ctx, off.ID, true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		email, password string
		want            error
	}{
		{"ann@example.com", "long-enough", nil},
		{"  ANN@example.com ", "long-enough", nil},
		{"ann@example.com", "wrong-password", account.ErrUnauthorized},
		{"nobody@example.com", "long-enough", account.ErrUnauthorized},
		{"off@example.com", "long-enough", account.ErrForbidden},
		{"off@example.com", "wrong-password", account.ErrUnauthorized}, // disabled is told only to the password's owner
	}
	for _, tt := range tests {
		u, err := a.Users.Authenticate(ctx, tt.email, tt.password)
		switch {
		case tt.want == nil && (err != nil || u.ID != ann.ID):
			t.Errorf("Authenticate(%q, %q) = %v, %v; want ann", tt.email, tt.password, u, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("Authenticate(%q, %q) error = %v; want %v", tt.email, tt.password, err, tt.want)
		}
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	a, db := newAccounts(t)
	ann := mustUser(t, a, "ann@example.com", account.RoleAgent)
	token, sess, err := a.Sessions.Create(ctx, ann.ID, "test", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 40 || sess.CSRFToken == "" || sess.CSRFToken == token {
		t.Fatalf("session token %q csrf %q; want long distinct secrets", token, sess.CSRFToken)
	}
	var stored int
	db.QueryRow(ctx, "select count(*) from sessions where id = $1::text::bytea or csrf_token = $1", token).Scan(&stored)
	if stored != 0 {
		t.Errorf("the plaintext session token is stored")
	}
	got, u, err := a.Sessions.Validate(ctx, token)
	if err != nil || u.ID != ann.ID || got.CSRFToken != sess.CSRFToken {
		t.Fatalf("Validate = %+v, %+v, %v; want ann's session", got, u, err)
	}
	if _, _, err := a.Sessions.Validate(ctx, token+"x"); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("Validate(unknown) = %v; want ErrUnauthorized", err)
	}

	// Sliding expiry: a use after a while pushes expires_at forward, never past the lifetime.
	db.Exec(ctx, "update sessions set last_seen_at = now() - interval '2 hours', expires_at = now() + interval '1 hour'")
	got, _, err = a.Sessions.Validate(ctx, token)
	if err != nil || time.Until(got.ExpiresAt) < account.SessionIdle-time.Minute {
		t.Errorf("after use: expires %v (%v); want about now + %v", got.ExpiresAt, err, account.SessionIdle)
	}
	db.Exec(ctx, "update sessions set created_at = now() - interval '29 days 23 hours', last_seen_at = now() - interval '2 hours'")
	if got, _, _ = a.Sessions.Validate(ctx, token); time.Until(got.ExpiresAt) > 2*time.Hour {
		t.Errorf("near the lifetime: expires in %v; want at most an hour", time.Until(got.ExpiresAt))
	}

	// Expired.
	db.Exec(ctx, "update sessions set expires_at = now() - interval '1 second'")
	if _, _, err := a.Sessions.Validate(ctx, token); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("Validate(expired) = %v; want ErrUnauthorized", err)
	}

	// Revoke one; revoke all; disabling revokes.
	t1, _, _ := a.Sessions.Create(ctx, ann.ID, "", "")
	t2, _, _ := a.Sessions.Create(ctx, ann.ID, "", "")
	t3, _, _ := a.Sessions.Create(ctx, ann.ID, "", "")
	if err := a.Sessions.Revoke(ctx, t1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Sessions.Validate(ctx, t1); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("Validate(revoked) = %v; want ErrUnauthorized", err)
	}
	if _, _, err := a.Sessions.Validate(ctx, t2); err != nil {
		t.Errorf("revoking one session ended another: %v", err)
	}
	if n, err := a.Sessions.RevokeUser(ctx, ann.ID); err != nil || n != 2 {
		t.Errorf("RevokeUser = %d, %v; want 2 live sessions ended", n, err)
	}
	for _, tok := range []string{t2, t3} {
		if _, _, err := a.Sessions.Validate(ctx, tok); !errors.Is(err, account.ErrUnauthorized) {
			t.Errorf("after RevokeUser: %v; want ErrUnauthorized", err)
		}
	}
	t4, _, _ := a.Sessions.Create(ctx, ann.ID, "", "")
	mustUser(t, a, "boss@example.com", account.RoleAdmin)
	if _, err := a.Users.SetDisabled(ctx, ann.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Sessions.Validate(ctx, t4); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("session of a disabled user: %v; want ErrUnauthorized", err)
	}
	if _, err := a.Users.SetDisabled(ctx, ann.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Sessions.Validate(ctx, t4); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("re-enabling revived an old session: %v", err)
	}
}

func TestLastAdminCannotBeDisabled(t *testing.T) {
	ctx := context.Background()
	a, _ := newAccounts(t)
	boss := mustUser(t, a, "boss@example.com", account.RoleAdmin)
	if _, err := a.Users.SetDisabled(ctx, boss.ID, true); !errors.Is(err, account.ErrConflict) {
		t.Errorf("disabling the only admin: %v; want ErrConflict", err)
	}
	other := mustUser(t, a, "other@example.com", account.RoleAdmin)
	if _, err := a.Users.SetDisabled(ctx, boss.ID, true); err != nil {
		t.Errorf("disabling one of two admins: %v", err)
	}
	if _, err := a.Users.SetDisabled(ctx, other.ID, true); !errors.Is(err, account.ErrConflict) {
		t.Errorf("disabling the last enabled admin: %v; want ErrConflict", err)
	}
	if _, err := a.Users.SetDisabled(ctx, 999999, true); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("disabling an unknown user: %v; want ErrNotFound", err)
	}
}

func TestUsersListAndSites(t *testing.T) {
	ctx := context.Background()
	a, db := newAccounts(t)
	siteStore := sites.NewStore(db)
	s1, _ := siteStore.Create(ctx, "One", nil)
	s2, _ := siteStore.Create(ctx, "Two", nil)
	boss := mustUser(t, a, "boss@example.com", account.RoleAdmin)
	ann := mustUser(t, a, "ann@example.com", account.RoleAgent)
	bob := mustUser(t, a, "bob@example.com", account.RoleAgent)
	if err := a.Users.AddToSite(ctx, ann.ID, s1.ID); err != nil {
		t.Fatal(err)
	}
	a.Users.AddToSite(ctx, ann.ID, s1.ID) // twice is fine
	if err := a.Users.SetSites(ctx, bob.ID, []int64{s1.ID, s2.ID}); err != nil {
		t.Fatal(err)
	}
	if err := a.Users.AddToSite(ctx, ann.ID, 999999); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("AddToSite(unknown site) = %v; want ErrNotFound", err)
	}
	if ids, _ := a.Users.SitesOf(ctx, bob.ID); len(ids) != 2 {
		t.Errorf("SitesOf(bob) = %v; want both sites", ids)
	}
	a.Users.RemoveFromSite(ctx, bob.ID, s1.ID)
	scopes := []struct {
		user   *account.User
		s1, s2 bool
	}{
		{boss, true, true}, {ann, true, false}, {bob, false, true},
	}
	for _, sc := range scopes {
		scope, err := a.Users.ScopeOf(ctx, sc.user)
		if err != nil {
			t.Fatal(err)
		}
		if scope.Allows(s1.ID) != sc.s1 || scope.Allows(s2.ID) != sc.s2 {
			t.Errorf("scope of %s: site1 %v site2 %v; want %v %v", sc.user.Email, scope.Allows(s1.ID), scope.Allows(s2.ID), sc.s1, sc.s2)
		}
	}
	agents, _ := a.Users.Agents(ctx, s1.ID)
	if len(agents) != 2 { // boss (admin) and ann
		t.Errorf("Agents(site1) = %v; want the admin and ann", agents)
	}
	page, err := a.Users.List(ctx, "", 2)
	if err != nil || len(page.Items) != 2 || page.Next == "" {
		t.Fatalf("List(limit 2) = %+v, %v; want 2 and a cursor", page, err)
	}
	rest, err := a.Users.List(ctx, page.Next, 2)
	if err != nil || len(rest.Items) != 1 || rest.Next != "" || rest.Items[0].ID != bob.ID || len(rest.Items[0].SiteIDs) != 1 {
		t.Errorf("second page = %+v, %v; want bob with one site, no cursor", rest, err)
	}
	if _, err := a.Users.List(ctx, "zz", 2); !errors.Is(err, account.ErrInvalid) {
		t.Errorf("List(bad cursor) = %v; want ErrInvalid", err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	a, db := newAccounts(t)
	site, _ := sites.NewStore(db).Create(ctx, "One", nil)
	boss := mustUser(t, a, "boss@example.com", account.RoleAdmin)
	tok, plain, err := a.Tokens.Create(ctx, "shop backend", &site.ID, &boss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Prefix == "" || plain[:len(tok.Prefix)] != tok.Prefix {
		t.Errorf("prefix %q of %q; want the token's start", tok.Prefix, plain)
	}
	var n int
	db.QueryRow(ctx, "select count(*) from api_tokens where prefix = $1 or hash = $1::text::bytea", plain).Scan(&n)
	if n != 0 {
		t.Errorf("the plaintext token is stored")
	}
	got, err := a.Tokens.Validate(ctx, plain)
	if err != nil || got.ID != tok.ID || !got.Scope().Allows(site.ID) || got.Scope().Allows(site.ID+1) {
		t.Fatalf("Validate = %+v, %v; want the site-scoped token", got, err)
	}
	for _, bad := range []string{"", plain + "x", "Bearer " + plain, "kefu_nope"} {
		if _, err := a.Tokens.Validate(ctx, bad); !errors.Is(err, account.ErrUnauthorized) {
			t.Errorf("Validate(%q) = %v; want ErrUnauthorized", bad, err)
		}
	}
	if _, _, err := a.Tokens.Create(ctx, " ", nil, nil); !errors.Is(err, account.ErrInvalid) {
		t.Errorf("Create(no name) = %v; want ErrInvalid", err)
	}
	all, _, _ := a.Tokens.Create(ctx, "everything", nil, nil)
	if _, err := a.Tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tokens.Validate(ctx, plain); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("Validate(revoked) = %v; want ErrUnauthorized", err)
	}
	if _, err := a.Tokens.Revoke(ctx, 999999); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v; want ErrNotFound", err)
	}
	page, err := a.Tokens.List(ctx, "", 1)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != all.ID || page.Next == "" {
		t.Errorf("List = %+v, %v; want the newest first and a cursor", page, err)
	}
}

func TestPresence(t *testing.T) {
	ctx := context.Background()
	a, db := newAccounts(t)
	siteStore := sites.NewStore(db)
	s1, _ := siteStore.Create(ctx, "One", nil)
	s2, _ := siteStore.Create(ctx, "Two", nil)
	ann := mustUser(t, a, "ann@example.com", account.RoleAgent)
	boss := mustUser(t, a, "boss@example.com", account.RoleAdmin)
	a.Users.AddToSite(ctx, ann.ID, s1.ID)
	if n := a.Presence.Online(s1.ID); n != 0 {
		t.Errorf("Online before anyone connects = %d; want 0", n)
	}
	a.Presence.Set(ctx, "tab1", ann.ID, account.StatusOnline)
	a.Presence.Set(ctx, "tab2", ann.ID, account.StatusAway)
	if st, _ := a.Presence.Of(ctx, ann.ID); st != account.StatusOnline {
		t.Errorf("one tab online, one away: %s; want online", st)
	}
	if n1, n2 := a.Presence.Online(s1.ID), a.Presence.Online(s2.ID); n1 != 1 || n2 != 0 {
		t.Errorf("Online = %d, %d; want ann on site 1 only", n1, n2)
	}
	a.Presence.Remove(ctx, "tab1")
	if st, _ := a.Presence.Of(ctx, ann.ID); st != account.StatusAway || a.Presence.Online(s1.ID) != 0 {
		t.Errorf("only the away tab left: %s; want away, not counted online", st)
	}
	a.Presence.Set(ctx, "boss", boss.ID, account.StatusOnline)
	if n := a.Presence.Online(s2.ID); n != 1 {
		t.Errorf("an online admin counts for every site: got %d on site 2", n)
	}
	// A node that died stops refreshing; its rows lapse.
	db.Exec(ctx, "update agent_presence set seen_at = now() - interval '5 minutes'")
	if n := a.Presence.Online(s2.ID); n != 0 {
		t.Errorf("lapsed presence still counts: %d", n)
	}
	if st, _ := a.Presence.Of(ctx, boss.ID); st != account.StatusOffline {
		t.Errorf("lapsed presence: %s; want offline", st)
	}
	if err := a.Presence.Set(ctx, "x", ann.ID, "busy"); !errors.Is(err, account.ErrInvalid) {
		t.Errorf("Set(busy) = %v; want ErrInvalid", err)
	}
}

package sources

import "testing"

func TestRobots(t *testing.T) {
	txt := []byte(`# comments are ignored
User-agent: *
Disallow: /help/private
Allow: /help/private/public$
Disallow: /*.pdf$

User-agent: kefu
User-agent: otherbot
Disallow: /drafts/
Allow: /drafts/ok
`)
	for _, tc := range []struct {
		agent, path string
		want        bool
	}{
		{"kefu", "/drafts/x", false}, {"kefu", "/drafts/ok/1", true}, {"kefu", "/help/private", true}, // kefu's own group replaces *
		{"somebot", "/help/private/x", false}, {"somebot", "/help/private/public", true}, {"somebot", "/help/private/public/x", false},
		{"somebot", "/files/a.pdf", false}, {"somebot", "/files/a.pdf?x", true}, {"somebot", "/help/", true}, {"somebot", "/robots.txt", true},
	} {
		if got := parseRobots(txt, tc.agent).allowed(tc.path); got != tc.want {
			t.Errorf("%s %s: allowed = %v; want %v", tc.agent, tc.path, got, tc.want)
		}
	}
	if !parseRobots([]byte("User-agent: *\nDisallow:\n"), "kefu").allowed("/anything") {
		t.Error("an empty Disallow must allow everything")
	}
}

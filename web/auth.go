package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"kefu/internal/account"
	"kefu/internal/audit"
)

// Who may call the HTTP API, and how it is checked.
//
// Callers are identified by authenticate (on every /api/v1 route):
//   - console users by the session cookie (HttpOnly, SameSite=Lax, Secure
//     when kefu is served over https) set by POST /api/v1/auth/login. Every
//     state-changing request made with the cookie must carry the session's
//     CSRF token in X-CSRF-Token (the cookie alone is ambient authority).
//   - shop backends by Authorization: Bearer <API token>; tokens are
//     created by admins, hashed at rest, scoped to one site or all, and
//     revocable. KEFU_ADMIN_TOKEN, when set, is accepted as an all-sites API
//     token (bootstrap: it lets a shop import data before anyone signs in).
//     Bearer requests need no CSRF token: browsers never attach them on their own.
//
// Each route then names its audience (routes.go), checked by allow:
//
//	console         signed-in agent or admin
//	admin           signed-in admin
//	adminOrToken    signed-in admin, or an API token
//	consoleOrToken  signed-in agent or admin, or an API token
//
// and site-scoped routes check the caller's sites: admins and all-sites
// tokens see every site, agents the sites they are members of, a site token
// its site. A conversation of a site the caller does not work for is "not
// found", so its existence does not leak. Answers: 401 for no or a dead
// session or token, 403 for a wrong role, site or CSRF token.

const (
	sessionCookie = "kefu_session"
	csrfHeader    = "X-CSRF-Token"
	principalKey  = "kefu.principal"
)

// Sign-in rate limits: per client address and per email, whichever trips
// first. An email's budget refills one attempt a minute after five quick
// ones (a password guesser gets about 1,440 tries a day, a user who mistyped
// waits a minute); an address gets twenty, then one every six seconds.
const (
	loginPerIPEvery    = 6 * time.Second
	loginPerIPBurst    = 20
	loginPerEmailEvery = time.Minute
	loginPerEmailBurst = 5
)

// principal is the authenticated caller of a request.
type principal struct {
	user    *account.User // a console user (session)
	session *account.Session
	token   *account.APIToken // an API token; nil with user set, or for the bootstrap token
	scope   account.Scope
}

func (p *principal) admin() bool { return p.user != nil && p.user.Role == account.RoleAdmin }

func principalOf(c echo.Context) *principal {
	p, _ := c.Get(principalKey).(*principal)
	return p
}

// authState holds the sign-in rate limiters.
type authState struct {
	loginIP, loginEmail limiterSet
}

// limiterSet is a bounded map of token buckets keyed by a string.
type limiterSet struct {
	mu sync.Mutex
	m  map[string]*limiterEntry
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

// maxLimiters bounds a limiterSet; idle buckets (full again) are dropped first.
const maxLimiters = 10000

func (ls *limiterSet) allow(key string, every time.Duration, burst int) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	now := time.Now()
	if ls.m == nil {
		ls.m = map[string]*limiterEntry{}
	}
	if len(ls.m) >= maxLimiters {
		for k, e := range ls.m {
			if now.Sub(e.seen) > every*time.Duration(burst) { // refilled: forgetting it changes nothing
				delete(ls.m, k)
			}
		}
		if len(ls.m) >= maxLimiters {
			ls.m = map[string]*limiterEntry{}
		}
	}
	e := ls.m[key]
	if e == nil {
		e = &limiterEntry{l: rate.NewLimiter(rate.Every(every), burst)}
		ls.m[key] = e
	}
	e.seen = now
	return e.l.Allow()
}

// authenticate identifies the caller from a bearer token or the session
// cookie. It rejects a malformed or unknown bearer token at once; a stale
// cookie just leaves the request anonymous (so signing in again works), and
// the route's audience check answers 401.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		ctx := req.Context()
		if h := req.Header.Get(echo.HeaderAuthorization); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || token == "" {
				return echo.NewHTTPError(http.StatusUnauthorized, "Authorization must be: Bearer <API token>")
			}
			if s.opts.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.AdminToken)) == 1 {
				c.Set(principalKey, &principal{scope: account.Scope{All: true}})
				return next(c)
			}
			if s.opts.Accounts == nil {
				return echo.NewHTTPError(http.StatusUnauthorized, "unknown API token")
			}
			t, err := s.opts.Accounts.Tokens.Validate(ctx, token)
			if err != nil {
				return err
			}
			c.Set(principalKey, &principal{token: t, scope: t.Scope()})
			return next(c)
		}
		if s.opts.Accounts == nil {
			return next(c)
		}
		ck, err := req.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		sess, user, err := s.opts.Accounts.Sessions.Validate(ctx, ck.Value)
		if errors.Is(err, account.ErrUnauthorized) {
			return next(c)
		}
		if err != nil {
			return err
		}
		scope, err := s.opts.Accounts.Users.ScopeOf(ctx, user)
		if err != nil {
			return err
		}
		c.Set(principalKey, &principal{user: user, session: sess, scope: scope})
		return next(c)
	}
}

// audience is who may call a route.
type audience int

const (
	console audience = iota
	admin
	adminOrToken
	consoleOrToken
)

// allow admits the route's audience; a cookie caller's state-changing
// request must also carry the session's CSRF token.
func (s *Server) allow(a audience) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principalOf(c)
			if p == nil {
				return echo.NewHTTPError(http.StatusUnauthorized, "sign in first (or send Authorization: Bearer <API token>)")
			}
			if p.session != nil && !safeMethod(c.Request().Method) {
				got := c.Request().Header.Get(csrfHeader)
				if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.session.CSRFToken)) != 1 {
					return echo.NewHTTPError(http.StatusForbidden, "missing or wrong "+csrfHeader+" header")
				}
			}
			ok := false
			switch a {
			case console:
				ok = p.user != nil
			case admin:
				ok = p.admin()
			case adminOrToken:
				ok = p.admin() || p.user == nil
			case consoleOrToken:
				ok = true
			}
			if !ok {
				if p.user == nil {
					return echo.NewHTTPError(http.StatusForbidden, "API tokens cannot use this route; sign in to the console")
				}
				return echo.NewHTTPError(http.StatusForbidden, "this needs an admin")
			}
			return next(c)
		}
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// siteAccess admits a site-scoped route (?site=KEY, or the only site) when
// the caller works for that site.
func (s *Server) siteAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		site, err := s.site(c)
		if err != nil {
			return err
		}
		if !principalOf(c).scope.Allows(site.ID) {
			return echo.NewHTTPError(http.StatusForbidden, "you do not work for site "+site.Key)
		}
		return next(c)
	}
}

// sameOrigin reports whether the request's Origin is kefu's own: the
// public URL's origin, or the origin of the Host the request was sent to.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := strings.ToLower(strings.TrimSuffix(r.Header.Get("Origin"), "/"))
	if origin == "" {
		return false
	}
	if pub, err := url.Parse(s.opts.PublicURL); err == nil && pub.Host != "" &&
		origin == strings.ToLower(pub.Scheme+"://"+pub.Host) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// secureCookies is true when kefu is served over https.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(s.opts.PublicURL), "https://")
}

func (s *Server) setSessionCookie(c echo.Context, token string, expires time.Time) {
	ck := &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(c.Request())}
	if token == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	c.SetCookie(ck)
}

// clientIP is the address the request came from. Why not echo's RealIP: it
// trusts X-Forwarded-For from anyone, which would let a password guesser
// pick a fresh address for every attempt.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sessionUser is what auth routes answer about the signed-in user.
type sessionUser struct {
	User      *account.User `json:"user"`
	CSRFToken string        `json:"csrf_token"`
	ExpiresAt time.Time     `json:"expires_at"`
	Sites     []siteBrief   `json:"sites"`
}

// siteBrief names a site the user works for.
type siteBrief struct {
	ID   int64  `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (s *Server) sessionUser(c echo.Context, user *account.User, sess *account.Session) (*sessionUser, error) {
	ctx := c.Request().Context()
	scope, err := s.opts.Accounts.Users.ScopeOf(ctx, user)
	if err != nil {
		return nil, err
	}
	list, err := s.opts.Sites.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &sessionUser{User: user, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt, Sites: []siteBrief{}}
	for _, site := range list {
		if scope.Allows(site.ID) {
			out.Sites = append(out.Sites, siteBrief{ID: site.ID, Key: site.Key, Name: site.Name})
		}
	}
	return out, nil
}

// login serves POST /api/v1/auth/login {"email","password"}.
func (s *Server) login(c echo.Context) error {
	if s.opts.Accounts == nil {
		return notEnabled("console sign-in is")
	}
	req := c.Request()
	// A JSON body cannot be sent cross-site without a CORS preflight, and a
	// foreign Origin is refused: no page elsewhere can sign a visitor in.
	if !strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send JSON: {\"email\":…,\"password\":…}")
	}
	if req.Header.Get("Origin") != "" && !s.sameOrigin(req) {
		return echo.NewHTTPError(http.StatusForbidden, "sign in from kefu's own pages")
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if len(in.Email) > 320 || len(in.Password) > 200 {
		return echo.NewHTTPError(http.StatusBadRequest, "email or password too long")
	}
	ip := clientIP(req)
	byIP := s.auth.loginIP.allow(ip, loginPerIPEvery, loginPerIPBurst)
	byEmail := s.auth.loginEmail.allow(strings.ToLower(strings.TrimSpace(in.Email)), loginPerEmailEvery, loginPerEmailBurst)
	if !byIP || !byEmail {
		c.Response().Header().Set("Retry-After", "60")
		return echo.NewHTTPError(http.StatusTooManyRequests, "too many sign-in attempts; wait a minute and try again")
	}
	ctx := req.Context()
	user, err := s.opts.Accounts.Users.Authenticate(ctx, in.Email, in.Password)
	if err != nil {
		return err
	}
	token, sess, err := s.opts.Accounts.Sessions.Create(ctx, user.ID, req.UserAgent(), ip)
	if err != nil {
		return err
	}
	out, err := s.sessionUser(c, user, sess)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, sess.CreatedAt.Add(s.opts.Accounts.Sessions.Lifetime))
	s.logger.InfoContext(ctx, "console sign-in", "user", user.ID)
	s.record(c, audit.Entry{UserID: &user.ID, Actor: user.Email, Action: audit.Login})
	return c.JSON(http.StatusOK, out)
}

// logout serves POST /api/v1/auth/logout: the session ends on the server,
// not just in this browser.
func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Request().Cookie(sessionCookie); err == nil {
		if err := s.opts.Accounts.Sessions.Revoke(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, "", time.Time{})
	return c.NoContent(http.StatusNoContent)
}

// me serves GET /api/v1/auth/me: the signed-in user, their sites and the
// CSRF token (a reloaded console page gets it here).
func (s *Server) me(c echo.Context) error {
	p := principalOf(c)
	out, err := s.sessionUser(c, p.user, p.session)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

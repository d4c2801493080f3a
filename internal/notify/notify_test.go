package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/notify"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

// received is one message the test SMTP server accepted.
type received struct {
	from    string
	to      []string
	tls     bool
	authed  string
	header  mail.Header
	subject string
	body    string
}

// mailServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that
// offers STARTTLS with its own certificate and AUTH PLAIN for kefu/secret.
type mailServer struct {
	addr   string
	client *tls.Config // trusts the server's certificate
	mu     sync.Mutex
	mails  []received
}

func newMailServer(t *testing.T, withTLS bool) *mailServer {
	t.Helper()
	ms := &mailServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{ms: ms, tls: isTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if withTLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ms.client = &tls.Config{RootCAs: pool}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

func (ms *mailServer) all() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.mails...)
}

type session struct {
	ms     *mailServer
	tls    bool
	authed string
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "kefu" || password != "secret" {
			return errors.New("bad credentials")
		}
		s.authed = username
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	s.ms.mu.Lock()
	s.ms.mails = append(s.ms.mails, received{from: s.from, to: s.to, tls: s.tls, authed: s.authed, header: msg.Header,
		subject: subject, body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	s.ms.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// world is a site with agents, a waiting conversation, and the service.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *pgxpool.Pool
	mail     *mailServer
	svc      *notify.Service
	accounts *account.Store
	store    *chat.Store
	site     *sites.Site
	leo, mia *account.User
	other    *account.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	w := &world{t: t, ctx: ctx, db: db, mail: newMailServer(t, true), accounts: account.NewStore(db), store: chat.NewStore(db)}
	siteStore := sites.NewStore(db)
	var err error
	if w.site, err = siteStore.Create(ctx, "Lumen & Loom", []string{"https://shop.example"}); err != nil {
		t.Fatal(err)
	}
	elsewhere, err := siteStore.Create(ctx, "Elsewhere", []string{"https://else.example"})
	if err != nil {
		t.Fatal(err)
	}
	user := func(email, name, role string, site int64) *account.User {
		u, err := w.accounts.Users.Create(ctx, email, name, role, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if role == account.RoleAgent {
			if err := w.accounts.Users.SetSites(ctx, u.ID, []int64{site}); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	w.leo = user("leo@example.com", "Leo Wang", account.RoleAgent, w.site.ID)
	w.mia = user("mia@example.com", "Mia Chen", account.RoleAdmin, 0)
	w.other = user("ann@example.com", "Ann Other", account.RoleAgent, elsewhere.ID)
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Addr: w.mail.addr, From: "kefu <kefu@shop.example>", Username: "kefu",
		Password: "secret", TLSConfig: w.mail.client})
	if err != nil {
		t.Fatal(err)
	}
	w.svc = notify.New(db, notify.Options{Mailer: mailer, PublicURL: "https://kefu.example/", Sites: siteStore,
		Users: w.accounts.Users, Presence: w.accounts.Presence, Store: w.store, Analytics: analytics.NewReports(db, siteStore, nil)})
	return w
}

// waiting puts a conversation in the queue, escalated minutes ago, with
// the shopper's words.
func (w *world) waiting(minutes int, text string) *chat.Conversation {
	w.t.Helper()
	v, err := w.store.NewVisitor(w.ctx, w.site.ID, "en")
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := w.store.OpenConversation(w.ctx, v, "en")
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, _, err := w.store.Append(w.ctx, &chat.Message{ConversationID: c.ID, Role: chat.RoleShopper, Text: text}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.Transition(w.ctx, c.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.db.Exec(w.ctx, "update conversations set queued_at = now() - $2 * interval '1 minute' where id = $1", c.ID, minutes); err != nil {
		w.t.Fatal(err)
	}
	return c
}

func TestWaitingConversationEmailsAgents(t *testing.T) {
	w := newWorld(t)
	// Leo wants to hear after 30 minutes; Mia keeps the default (10).
	p, err := w.svc.Prefs(w.ctx, w.leo.ID)
	if err != nil || !p.EmailWaiting || p.WaitMinutes != 10 || !p.EmailEnabled {
		t.Fatalf("default preferences %+v, %v; want email after 10 minutes", p, err)
	}
	p.WaitMinutes = 30
	if _, err := w.svc.SetPrefs(w.ctx, w.leo.ID, p); err != nil {
		t.Fatal(err)
	}
	conv := w.waiting(20, "My card 4111 1111 1111 1111 was charged twice, call me on +44 20 7946 0958 or ann@example.com please, it has been a very long wait and I am still hoping someone will answer today")
	w.waiting(3, "just arrived")
	n, err := w.svc.CheckWaiting(w.ctx)
	if err != nil || n != 1 {
		t.Fatalf("CheckWaiting = %d, %v; want 1 email (Mia's: Leo waits 30 minutes, the other conversation 3)", n, err)
	}
	mails := w.mail.all()
	m := mails[0]
	if len(m.to) != 1 || m.to[0] != "mia@example.com" || m.from != "kefu@shop.example" || !m.tls || m.authed != "kefu" {
		t.Fatalf("mail to %v from %s (tls %v, auth %q); want Mia, over STARTTLS, signed in", m.to, m.from, m.tls, m.authed)
	}
	if m.subject != "A shopper has waited 20 minutes on Lumen & Loom" {
		t.Errorf("subject %q", m.subject)
	}
	for _, want := range []string{"https://kefu.example/console#/inbox/queue/" + conv.ID, "the shopper asked for a person",
		"https://kefu.example/notifications/unsubscribe?kind=waiting&token="} {
		if !strings.Contains(m.body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.body)
		}
	}
	// Only a short redacted preview of what the shopper wrote.
	for _, leak := range []string{"4111 1111 1111 1111", "7946 0958", "ann@example.com", "answer today"} {
		if strings.Contains(m.body, leak) {
			t.Errorf("body shows %q:\n%s", leak, m.body)
		}
	}
	if !strings.Contains(m.body, "[phone]") || !strings.Contains(m.body, "…") {
		t.Errorf("body has no masked, shortened preview:\n%s", m.body)
	}
	if lu := m.header.Get("List-Unsubscribe"); !strings.HasPrefix(lu, "<https://kefu.example/notifications/unsubscribe?") ||
		m.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q / %q", lu, m.header.Get("List-Unsubscribe-Post"))
	}
	// Once per wait, however many passes (and nodes).
	if n, err := w.svc.CheckWaiting(w.ctx); n != 0 || err != nil {
		t.Errorf("second pass sent %d (%v); want 0", n, err)
	}
	// The link unsubscribes Mia from these emails, and only these.
	lu := m.header.Get("List-Unsubscribe")
	u, _ := url.Parse(strings.Trim(lu, "<>"))
	if err := w.svc.Unsubscribe(w.ctx, u.Query().Get("token"), u.Query().Get("kind")); err != nil {
		t.Fatal(err)
	}
	if p, _ := w.svc.Prefs(w.ctx, w.mia.ID); p.EmailWaiting || !p.EmailDigest {
		t.Errorf("after unsubscribing: %+v; want waiting emails off, the digest on", p)
	}
	if err := w.svc.Unsubscribe(w.ctx, "nope", notify.KindAll); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Unsubscribe with a bad token: %v; want ErrNotFound", err)
	}
	// Nobody else hears of it: not the agent of another site.
	for _, m := range w.mail.all() {
		if m.to[0] == "ann@example.com" {
			t.Errorf("an agent of another site was emailed: %q", m.subject)
		}
	}
}

func TestNoEmailWhileSomeoneIsOnline(t *testing.T) {
	w := newWorld(t)
	w.waiting(45, "hello?")
	if err := w.accounts.Presence.Set(w.ctx, "conn-1", w.leo.ID, account.StatusOnline); err != nil {
		t.Fatal(err)
	}
	if n, err := w.svc.CheckWaiting(w.ctx); n != 0 || err != nil {
		t.Fatalf("with Leo online: %d emails (%v); want 0", n, err)
	}
	// Away is not online.
	if err := w.accounts.Presence.Set(w.ctx, "conn-1", w.leo.ID, account.StatusAway); err != nil {
		t.Fatal(err)
	}
	if n, err := w.svc.CheckWaiting(w.ctx); n != 2 || err != nil {
		t.Fatalf("with Leo away: %d emails (%v); want 2 (Leo and Mia)", n, err)
	}
}

func TestPreferencesRejectBadValues(t *testing.T) {
	w := newWorld(t)
	before, _ := w.svc.Prefs(w.ctx, w.leo.ID)
	for _, p := range []notify.Prefs{{WaitMinutes: 0, Locale: "en"}, {WaitMinutes: 5000, Locale: "en"}, {WaitMinutes: 10, Locale: "fr"}} {
		if _, err := w.svc.SetPrefs(w.ctx, w.leo.ID, p); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("SetPrefs(%+v) = %v; want ErrInvalid", p, err)
		}
	}
	if after, _ := w.svc.Prefs(w.ctx, w.leo.ID); after != before {
		t.Errorf("preferences changed by bad input: %+v; want %+v", after, before)
	}
	if err := w.svc.Unsubscribe(w.ctx, "x", "sms"); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Unsubscribe(kind sms) = %v; want ErrInvalid", err)
	}
}

func TestDailyDigestForAdmins(t *testing.T) {
	w := newWorld(t)
	w.waiting(30, "Where is my parcel?")
	p, _ := w.svc.Prefs(w.ctx, w.mia.ID)
	p.Locale = "zh"
	w.svc.SetPrefs(w.ctx, w.mia.ID, p)
	today := time.Now().UTC()
	n, err := w.svc.SendDigests(w.ctx, today)
	if err != nil || n != 1 {
		t.Fatalf("SendDigests = %d, %v; want 1 (Mia, the only admin)", n, err)
	}
	m := w.mail.all()[0]
	day := today.Format(time.DateOnly)
	if m.to[0] != "mia@example.com" || m.subject != "kefu 每日摘要 "+day {
		t.Fatalf("digest to %v, subject %q", m.to, m.subject)
	}
	for _, want := range []string{"Lumen & Loom", "会话 1 个，转人工 1 个（100%）", "Elsewhere", "会话 0 个", "kind=digest"} {
		if !strings.Contains(m.body, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.body)
		}
	}
	if n, _ := w.svc.SendDigests(w.ctx, today); n != 0 {
		t.Errorf("a second digest for the same day: %d; want 0", n)
	}
}

func TestAlertAdminsOnce(t *testing.T) {
	w := newWorld(t)
	n, err := w.svc.Alert(w.ctx, w.site.ID, "webhook:1:100", "A webhook was disabled", "https://crm.example/hooks failed 20 times")
	if err != nil || n != 1 {
		t.Fatalf("Alert = %d, %v; want 1 (Mia)", n, err)
	}
	if n, _ := w.svc.Alert(w.ctx, w.site.ID, "webhook:1:100", "again", "again"); n != 0 {
		t.Errorf("the same alert again: %d; want 0", n)
	}
	if m := w.mail.all()[0]; m.to[0] != "mia@example.com" || !strings.Contains(m.body, "kind=alerts") {
		t.Errorf("alert %+v", m)
	}
}

func TestSMTPRequiresSTARTTLS(t *testing.T) {
	plain := newMailServer(t, false)
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Addr: plain.addr, From: "kefu@shop.example", Username: "kefu", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	err = mailer.Send(context.Background(), notify.Mail{To: []string{"mia@example.com"}, Subject: "hi", Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send to a relay without STARTTLS: %v; want a STARTTLS error", err)
	}
	if n := len(plain.all()); n != 0 {
		t.Fatalf("%d messages went over a plain connection; want 0", n)
	}
	for _, c := range []notify.SMTPConfig{
		{Addr: "smtp.example.com", From: "kefu@shop.example"},
		{Addr: "smtp.example.com:587", From: "not an address"},
		{Addr: "smtp.example.com:587", From: "kefu@shop.example", TLS: "ssl3"},
		{Addr: "smtp.example.com:25", From: "kefu@shop.example", TLS: "none", Username: "u", Password: "p"},
		{Addr: "smtp.example.com:587", From: "kefu@shop.example", Username: "u"},
	} {
		if _, err := notify.NewSMTP(c); err == nil {
			t.Errorf("NewSMTP(%+v) accepted; want an error naming the setting", c)
		}
	}
}

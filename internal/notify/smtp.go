package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one plain-text email.
type Mail struct {
	To      []string
	Subject string
	Text    string
	// Headers are more header fields (List-Unsubscribe …).
	Headers map[string]string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// TLS modes of an SMTP relay.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS: only for a relay on the same host or network
)

// SMTPConfig says how to reach the relay (KEFU_SMTP_* in cmd/kefu).
type SMTPConfig struct {
	Addr     string // host:port
	From     string // "kefu <support@shop.example>"
	Username string // AUTH PLAIN over TLS when set
	Password string
	TLS      string // TLSStartTLS (default), TLSImplicit or TLSNone
	// TLSConfig overrides the TLS settings (tests trust their own server).
	TLSConfig *tls.Config
	Timeout   time.Duration // per connection (30 s)
}

// Validate reports what is wrong with c, naming the settings.
func (c *SMTPConfig) Validate() error {
	var errs []error
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("KEFU_SMTP_ADDR %q must be host:port, like smtp.example.com:587", c.Addr))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("KEFU_SMTP_FROM %q must be an address, like kefu <support@shop.example>", c.From))
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if c.Username != "" {
			errs = append(errs, errors.New("KEFU_SMTP_TLS=none cannot be used with KEFU_SMTP_USERNAME: the password would cross the network in the clear"))
		}
	default:
		errs = append(errs, fmt.Errorf("KEFU_SMTP_TLS %q must be starttls, tls or none", c.TLS))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("KEFU_SMTP_USERNAME and KEFU_SMTP_PASSWORD go together"))
	}
	return errors.Join(errs...)
}

// SMTP sends mail through a relay, over TLS (STARTTLS by default).
type SMTP struct{ c SMTPConfig }

// NewSMTP returns a mailer for c, or what is wrong with c.
func NewSMTP(c SMTPConfig) (*SMTP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return &SMTP{c: c}, nil
}

// Send delivers m to the relay.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	from, _ := mail.ParseAddress(s.c.From)
	host, _, _ := net.SplitHostPort(s.c.Addr)
	cfg := s.c.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	d := net.Dialer{Timeout: s.c.Timeout}
	ctx, cancel := context.WithTimeout(ctx, s.c.Timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", s.c.Addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	conn.SetDeadline(time.Now().Add(s.c.Timeout))
	var c *smtp.Client
	switch s.c.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, cfg))
	case TLSNone:
		c = smtp.NewClient(conn)
	default:
		// Why required: without it the relay (or anyone between) reads the mail.
		if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	defer c.Close()
	if s.c.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.c.Username, s.c.Password)); err != nil {
			return fmt.Errorf("smtp: sign in: %w", err)
		}
	}
	msg, err := compose(from, m)
	if err != nil {
		return err
	}
	if err := c.SendMail(from.Address, m.To, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp: send: %w", err)
	}
	return c.Quit()
}

// compose writes m as an RFC 5322 message: UTF-8 text, quoted-printable.
func compose(from *mail.Address, m Mail) ([]byte, error) {
	if len(m.To) == 0 {
		return nil, errors.New("smtp: no recipients")
	}
	var b bytes.Buffer
	h := func(k, v string) {
		// Header values come from kefu and users' names: no line breaks.
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	to := make([]string, len(m.To))
	for i, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("smtp: recipient %q: %w", a, err)
		}
		to[i] = addr.String()
	}
	id := make([]byte, 12)
	rand.Read(id)
	h("From", from.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", time.Now().Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+domainOf(from.Address)+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h(k, m.Headers[k])
	}
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(m.Text, "\n", "\r\n")))
	w.Close()
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "kefu.invalid"
}

// Package notify reaches console users when they are not looking: an email
// to a site's agents when a conversation has waited longer than they chose
// with nobody online, a daily digest for admins, and an email to admins when
// a webhook was disabled. Each user chooses what they get (Prefs), and every
// email has an unsubscribe link (RFC 8058 one-click too). Emails carry no
// shopper content beyond a short redacted preview (chat.RedactedPreview).
//
// Every node runs the same loop; a notice is sent by the node that first
// records it in notifications_sent, so several nodes send it once.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/sites"
)

// Prefs are a console user's notification preferences.
type Prefs struct {
	EmailWaiting bool   `json:"email_waiting"` // a conversation waits with nobody online
	WaitMinutes  int    `json:"wait_minutes"`  // after how long
	EmailDigest  bool   `json:"email_digest"`  // the daily digest (admins)
	EmailAlerts  bool   `json:"email_alerts"`  // a webhook was disabled (admins)
	Browser      bool   `json:"browser"`       // desktop notifications from the console
	Locale       string `json:"locale"`        // en or zh: the emails' language
	// EmailEnabled says whether this server sends email at all (SMTP
	// configured); read-only.
	EmailEnabled bool `json:"email_enabled"`
}

// Limits of WaitMinutes.
const (
	MinWaitMinutes = 1
	MaxWaitMinutes = 24 * 60
)

// Unsubscribe kinds (the link's kind parameter).
const (
	KindWaiting = "waiting"
	KindDigest  = "digest"
	KindAlerts  = "alerts"
	KindAll     = "all"
)

// Options configure a Service.
type Options struct {
	// Mailer sends the emails; nil: no email (preferences are still kept,
	// and the console's desktop notifications work).
	Mailer    Mailer
	PublicURL string // links in emails
	Logger    *slog.Logger

	Sites     *sites.Store
	Users     *account.Users
	Presence  *account.Presence
	Store     *chat.Store
	Analytics *analytics.Reports
	Insights  *analytics.Insights // nil: the digest leaves knowledge gaps out

	// DigestHour is the UTC hour after which the day before's digest goes
	// out (8); Every is how often the loop looks (1 min).
	DigestHour int
	Every      time.Duration
	Now        func() time.Time
}

// Service keeps preferences and sends notifications.
type Service struct {
	db     *pgxpool.Pool
	o      Options
	logger *slog.Logger
	digest string // the day whose digest this node has sent
}

// New returns the notification service on db.
func New(db *pgxpool.Pool, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DigestHour < 0 || o.DigestHour > 23 {
		o.DigestHour = 8
	}
	o.PublicURL = strings.TrimSuffix(o.PublicURL, "/")
	return &Service{db: db, o: o, logger: o.Logger}
}

// EmailEnabled reports whether the service sends email.
func (s *Service) EmailEnabled() bool { return s.o.Mailer != nil }

// ensure gives users without preferences the defaults (and an unsubscribe token).
func (s *Service) ensure(ctx context.Context, userIDs []int64) error {
	_, err := s.db.Exec(ctx, `insert into notification_prefs (user_id, unsubscribe_token)
		select id, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') from unnest($1::bigint[]) id
		on conflict (user_id) do nothing`, userIDs)
	if err != nil {
		return fmt.Errorf("notification preferences: %w", err)
	}
	return nil
}

// userPrefs is a user's preferences with their unsubscribe token.
type userPrefs struct {
	Prefs
	token string
}

func (s *Service) load(ctx context.Context, userIDs []int64) (map[int64]userPrefs, error) {
	if err := s.ensure(ctx, userIDs); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `select user_id, email_waiting, wait_minutes, email_digest, email_alerts, browser, locale,
		unsubscribe_token from notification_prefs where user_id = any($1)`, userIDs)
	if err != nil {
		return nil, fmt.Errorf("notification preferences: %w", err)
	}
	out := map[int64]userPrefs{}
	var id int64
	var p userPrefs
	_, err = pgx.ForEachRow(rows, []any{&id, &p.EmailWaiting, &p.WaitMinutes, &p.EmailDigest, &p.EmailAlerts, &p.Browser,
		&p.Locale, &p.token}, func() error {
		p.EmailEnabled = s.EmailEnabled()
		out[id] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("notification preferences: %w", err)
	}
	return out, nil
}

// Prefs returns the user's preferences.
func (s *Service) Prefs(ctx context.Context, userID int64) (Prefs, error) {
	m, err := s.load(ctx, []int64{userID})
	if err != nil {
		return Prefs{}, err
	}
	return m[userID].Prefs, nil
}

// SetPrefs replaces the user's preferences; bad values are chat.ErrInvalid
// and change nothing.
func (s *Service) SetPrefs(ctx context.Context, userID int64, p Prefs) (Prefs, error) {
	if p.WaitMinutes < MinWaitMinutes || p.WaitMinutes > MaxWaitMinutes {
		return Prefs{}, fmt.Errorf("wait_minutes must be %d to %d: %w", MinWaitMinutes, MaxWaitMinutes, chat.ErrInvalid)
	}
	if p.Locale != "en" && p.Locale != "zh" {
		return Prefs{}, fmt.Errorf("locale %q must be en or zh: %w", p.Locale, chat.ErrInvalid)
	}
	if err := s.ensure(ctx, []int64{userID}); err != nil {
		return Prefs{}, err
	}
	_, err := s.db.Exec(ctx, `update notification_prefs set email_waiting = $2, wait_minutes = $3, email_digest = $4,
		email_alerts = $5, browser = $6, locale = $7, updated_at = now() where user_id = $1`,
		userID, p.EmailWaiting, p.WaitMinutes, p.EmailDigest, p.EmailAlerts, p.Browser, p.Locale)
	if err != nil {
		return Prefs{}, fmt.Errorf("save notification preferences: %w", err)
	}
	return s.Prefs(ctx, userID)
}

// Unsubscribe turns off the emails of kind for the holder of token (from
// an email's link). An unknown token is chat.ErrNotFound; a bad kind
// chat.ErrInvalid.
func (s *Service) Unsubscribe(ctx context.Context, token, kind string) error {
	var set string
	switch kind {
	case KindWaiting:
		set = "email_waiting = false"
	case KindDigest:
		set = "email_digest = false"
	case KindAlerts:
		set = "email_alerts = false"
	case KindAll, "":
		set = "email_waiting = false, email_digest = false, email_alerts = false"
	default:
		return fmt.Errorf("kind %q must be waiting, digest, alerts or all: %w", kind, chat.ErrInvalid)
	}
	if token == "" || len(token) > 128 {
		return fmt.Errorf("unsubscribe link: %w", chat.ErrNotFound)
	}
	tag, err := s.db.Exec(ctx, "update notification_prefs set "+set+", updated_at = now() where unsubscribe_token = $1", token)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("unsubscribe link: %w", chat.ErrNotFound)
	}
	return nil
}

// claim records that kind about ref is being sent to userID; false: it
// was already (by this node or another).
func (s *Service) claim(ctx context.Context, userID int64, kind, ref string) (bool, error) {
	tag, err := s.db.Exec(ctx, `insert into notifications_sent (user_id, kind, ref, sent_at) values ($1, $2, $3, $4)
		on conflict do nothing`, userID, kind, ref, s.o.Now())
	if err != nil {
		return false, fmt.Errorf("record notification: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// unclaim forgets a claim whose email failed, so a later pass tries again.
func (s *Service) unclaim(userID int64, kind, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.db.Exec(ctx, "delete from notifications_sent where user_id = $1 and kind = $2 and ref = $3", userID, kind, ref)
}

// send claims and sends one email; it reports whether it sent.
func (s *Service) send(ctx context.Context, u account.User, kind, ref string, m Mail) (bool, error) {
	ok, err := s.claim(ctx, u.ID, kind, ref)
	if err != nil || !ok {
		return false, err
	}
	m.To = []string{u.Email}
	if err := s.o.Mailer.Send(ctx, m); err != nil {
		s.unclaim(u.ID, kind, ref)
		return false, fmt.Errorf("email %s to user %d: %w", kind, u.ID, err)
	}
	return true, nil
}

// unsubscribeURL is the link that turns off kind for the token's holder.
func (s *Service) unsubscribeURL(token, kind string) string {
	return s.o.PublicURL + "/notifications/unsubscribe?" + url.Values{"token": {token}, "kind": {kind}}.Encode()
}

// withFooter adds the unsubscribe link (and its headers) to m.
func (s *Service) withFooter(m Mail, p userPrefs, kind, why string) Mail {
	link := s.unsubscribeURL(p.token, kind)
	t := strs(p.Locale)
	m.Text += "\n\n--\n" + why + "\n" + t["unsubscribe"] + " " + link + "\n" + t["settings"] + " " + s.o.PublicURL + "/console#/notifications\n"
	m.Headers = map[string]string{"List-Unsubscribe": "<" + link + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	return m
}

// Run checks for waiting conversations and the daily digest every Every,
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	if s.o.Mailer == nil {
		return
	}
	t := time.NewTicker(s.o.Every)
	defer t.Stop()
	for {
		if _, err := s.CheckWaiting(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("waiting-conversation emails", "error", err)
		}
		now := s.o.Now().UTC()
		day := now.AddDate(0, 0, -1).Format(time.DateOnly)
		if now.Hour() >= s.o.DigestHour && s.digest != day {
			if _, err := s.SendDigests(ctx, now.AddDate(0, 0, -1)); err != nil && ctx.Err() == nil {
				s.logger.Error("daily digest", "error", err)
			} else {
				s.digest = day
				s.db.Exec(ctx, "delete from notifications_sent where sent_at < $1", now.AddDate(0, 0, -60))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckWaiting emails the agents of each site where a conversation has
// waited in the queue longer than they chose while nobody was online
// (away counts as not online), once per user and wait. It returns how many
// emails it sent.
func (s *Service) CheckWaiting(ctx context.Context) (int, error) {
	if s.o.Mailer == nil {
		return 0, nil
	}
	now := s.o.Now()
	type siteInfo struct {
		site   *sites.Site
		online int
		agents []account.User
		prefs  map[int64]userPrefs
	}
	sites := map[int64]*siteInfo{}
	var sent tally
	cursor := ""
	for range 20 { // at most 2,000 waiting conversations a pass
		page, err := s.o.Store.Inbox(ctx, chat.InboxQuery{View: chat.ViewQueued, Scope: account.Scope{All: true}, Cursor: cursor, Limit: 100})
		if err != nil {
			return sent.sent, err
		}
		for _, c := range page.Items {
			if c.QueuedAt == nil || now.Sub(*c.QueuedAt) < time.Duration(MinWaitMinutes)*time.Minute {
				continue
			}
			si := sites[c.SiteID]
			if si == nil {
				si = &siteInfo{}
				if si.site, err = s.o.Sites.ByID(ctx, c.SiteID); err != nil {
					return sent.sent, err
				}
				if si.online, err = s.o.Presence.OnlineCount(ctx, c.SiteID); err != nil {
					return sent.sent, err
				}
				if si.online == 0 {
					if si.agents, err = s.o.Users.Agents(ctx, c.SiteID); err != nil {
						return sent.sent, err
					}
					ids := make([]int64, len(si.agents))
					for i, u := range si.agents {
						ids[i] = u.ID
					}
					if si.prefs, err = s.load(ctx, ids); err != nil {
						return sent.sent, err
					}
				}
				sites[c.SiteID] = si
			}
			if si.online > 0 {
				continue
			}
			waited := now.Sub(*c.QueuedAt)
			for _, u := range si.agents {
				p := si.prefs[u.ID]
				if !p.EmailWaiting || waited < time.Duration(p.WaitMinutes)*time.Minute {
					continue
				}
				ref := c.ID + "@" + strconv.FormatInt(c.QueuedAt.Unix(), 10)
				sent.add(s.send(ctx, u, KindWaiting, ref, s.waitingMail(si.site, &c, waited, p)))
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	return sent.result()
}

func (s *Service) waitingMail(site *sites.Site, c *chat.InboxItem, waited time.Duration, p userPrefs) Mail {
	t := strs(p.Locale)
	mins := strconv.Itoa(int(waited.Minutes()))
	text := fill(t["waiting.body"], "site", site.Name, "n", mins) + "\n"
	if c.EscalationReason != "" {
		text += "\n" + t["waiting.reason"] + " " + reasonText(p.Locale, c.EscalationReason)
	}
	if c.LastMessage != nil {
		text += "\n" + t["waiting.preview"] + " “" + chat.RedactedPreview(c.LastMessage.Text, 100) + "”"
	}
	text += "\n\n" + t["waiting.open"] + " " + s.o.PublicURL + "/console#/inbox/queue/" + c.ID
	return s.withFooter(Mail{Subject: fill(t["waiting.subject"], "site", site.Name, "n", mins), Text: text}, p, KindWaiting,
		fill(t["waiting.why"], "site", site.Name))
}

// SendDigests emails each admin who wants it the digest of day (UTC):
// per site, conversations, escalation rate and the top knowledge gaps. It
// returns how many it sent.
func (s *Service) SendDigests(ctx context.Context, day time.Time) (int, error) {
	if s.o.Mailer == nil {
		return 0, nil
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	ref := day.Format(time.DateOnly)
	list, err := s.o.Sites.List(ctx)
	if err != nil {
		return 0, err
	}
	type section struct {
		site sites.Site
		m    analytics.Measures
		gaps []analytics.Gap
	}
	var sections []section
	admins := map[int64]account.User{}
	for _, site := range list {
		sum, err := s.o.Analytics.Summary(ctx, analytics.SummaryQuery{SiteIDs: []int64{site.ID}, Site: site.Key,
			Period: analytics.Period{From: day, To: day}})
		if err != nil {
			return 0, err
		}
		sec := section{site: site, m: sum.Current}
		if s.o.Insights != nil && sum.Current.Conversations > 0 {
			gaps, err := s.o.Insights.Gaps(ctx, analytics.InsightsQuery{Sites: []sites.Site{site}, From: day, To: day.AddDate(0, 0, 1)})
			if err != nil {
				s.logger.Warn("digest: knowledge gaps", "site", site.Key, "error", err)
			}
			sec.gaps = gaps[:min(3, len(gaps))]
		}
		sections = append(sections, sec)
		agents, err := s.o.Users.Agents(ctx, site.ID)
		if err != nil {
			return 0, err
		}
		for _, u := range agents {
			if u.Role == account.RoleAdmin {
				admins[u.ID] = u
			}
		}
	}
	ids := make([]int64, 0, len(admins))
	for id := range admins {
		ids = append(ids, id)
	}
	prefs, err := s.load(ctx, ids)
	if err != nil {
		return 0, err
	}
	var sent tally
	for id, u := range admins {
		p := prefs[id]
		if !p.EmailDigest {
			continue
		}
		t := strs(p.Locale)
		var b strings.Builder
		b.WriteString(fill(t["digest.intro"], "day", ref) + "\n")
		for _, sec := range sections {
			fmt.Fprintf(&b, "\n%s\n", sec.site.Name)
			b.WriteString(fill(t["digest.line"], "n", strconv.Itoa(sec.m.Conversations), "e", strconv.Itoa(sec.m.Escalated),
				"rate", strconv.FormatFloat(sec.m.EscalationRate*100, 'f', 0, 64)) + "\n")
			if len(sec.gaps) > 0 {
				b.WriteString(t["digest.gaps"] + "\n")
				for _, g := range sec.gaps {
					fmt.Fprintf(&b, "  • “%s” (%d)\n", chat.RedactedPreview(g.Question, 80), g.Count)
				}
			}
		}
		b.WriteString("\n" + t["digest.open"] + " " + s.o.PublicURL + "/console#/analytics")
		m := s.withFooter(Mail{Subject: fill(t["digest.subject"], "day", ref), Text: b.String()}, p, KindDigest, t["digest.why"])
		sent.add(s.send(ctx, u, KindDigest, ref, m))
	}
	return sent.result()
}

// Alert emails the admins of site siteID who want alerts: subject and text
// say what happened; ref names it (each admin gets it once).
func (s *Service) Alert(ctx context.Context, siteID int64, ref, subject, text string) (int, error) {
	if s.o.Mailer == nil {
		return 0, nil
	}
	agents, err := s.o.Users.Agents(ctx, siteID)
	if err != nil {
		return 0, err
	}
	var admins []account.User
	var ids []int64
	for _, u := range agents {
		if u.Role == account.RoleAdmin {
			admins = append(admins, u)
			ids = append(ids, u.ID)
		}
	}
	prefs, err := s.load(ctx, ids)
	if err != nil {
		return 0, err
	}
	var sent tally
	for _, u := range admins {
		p := prefs[u.ID]
		if !p.EmailAlerts {
			continue
		}
		m := s.withFooter(Mail{Subject: subject, Text: text}, p, KindAlerts, strs(p.Locale)["alert.why"])
		sent.add(s.send(ctx, u, KindAlerts, ref, m))
	}
	return sent.result()
}

// SendTest emails the user a test message (from the console), whatever
// their preferences: it checks that mail reaches them.
func (s *Service) SendTest(ctx context.Context, u *account.User) error {
	if s.o.Mailer == nil {
		return fmt.Errorf("this server sends no email (set KEFU_SMTP_ADDR): %w", chat.ErrInvalid)
	}
	p, err := s.load(ctx, []int64{u.ID})
	if err != nil {
		return err
	}
	t := strs(p[u.ID].Locale)
	return s.o.Mailer.Send(ctx, Mail{To: []string{u.Email}, Subject: t["test.subject"],
		Text: fill(t["test.body"], "name", u.Name) + "\n" + s.o.PublicURL + "/console#/notifications\n"})
}

// tally counts what a pass sent and keeps its errors (one bad address must
// not stop the others' emails).
type tally struct {
	sent int
	errs []error
}

func (t *tally) add(ok bool, err error) {
	if err != nil {
		t.errs = append(t.errs, err)
	}
	if ok {
		t.sent++
	}
}

func (t *tally) result() (int, error) { return t.sent, errors.Join(t.errs...) }

// fill replaces {k} with v for each pair k, v.
func fill(s string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

func strs(locale string) map[string]string {
	if locale == "zh" {
		return zh
	}
	return en
}

func reasonText(locale, reason string) string {
	if t, ok := strs(locale)["reason."+reason]; ok {
		return t
	}
	return reason
}

var en = map[string]string{
	"waiting.subject":  "A shopper has waited {n} minutes on {site}",
	"waiting.body":     "A conversation on {site} has waited {n} minutes for a person, and nobody is online.",
	"waiting.reason":   "Why it was escalated:",
	"waiting.preview":  "The shopper's latest message (preview):",
	"waiting.open":     "Open it:",
	"waiting.why":      "You get this because you work for {site} and chose emails when conversations wait.",
	"digest.subject":   "kefu daily digest for {day}",
	"digest.intro":     "What happened on {day} (UTC):",
	"digest.line":      "  {n} conversations, {e} escalated to a person ({rate}%)",
	"digest.gaps":      "  Questions the bot could not answer well:",
	"digest.open":      "Analytics:",
	"digest.why":       "You get this daily digest as an admin of kefu.",
	"alert.why":        "You get this because you are an admin of kefu.",
	"unsubscribe":      "Stop these emails:",
	"settings":         "Your notification settings:",
	"test.subject":     "kefu test email",
	"test.body":        "Hello {name}, kefu's notification emails reach you.",
	"reason.requested": "the shopper asked for a person", "reason.negative_sentiment": "the shopper was upset",
	"reason.no_answer": "the bot could not answer", "reason.sensitive_intent": "a sensitive request",
	"reason.tool_failure": "a lookup failed", "reason.limit": "the conversation reached a limit",
}

var zh = map[string]string{
	"waiting.subject":  "{site} 有顾客已等待 {n} 分钟",
	"waiting.body":     "{site} 有一个会话已等待人工 {n} 分钟，目前没有客服在线。",
	"waiting.reason":   "转人工原因：",
	"waiting.preview":  "顾客最新消息（预览）：",
	"waiting.open":     "打开会话：",
	"waiting.why":      "您收到此邮件，因为您为 {site} 工作并开启了会话等待提醒。",
	"digest.subject":   "kefu 每日摘要 {day}",
	"digest.intro":     "{day}（UTC）概况：",
	"digest.line":      "  会话 {n} 个，转人工 {e} 个（{rate}%）",
	"digest.gaps":      "  机器人未能很好回答的问题：",
	"digest.open":      "数据分析：",
	"digest.why":       "您作为 kefu 管理员收到此每日摘要。",
	"alert.why":        "您作为 kefu 管理员收到此邮件。",
	"unsubscribe":      "不再接收此类邮件：",
	"settings":         "通知设置：",
	"test.subject":     "kefu 测试邮件",
	"test.body":        "{name}，您好！kefu 的通知邮件可以送达您。",
	"reason.requested": "顾客要求人工", "reason.negative_sentiment": "顾客情绪不满",
	"reason.no_answer": "机器人无法回答", "reason.sensitive_intent": "敏感请求",
	"reason.tool_failure": "查询失败", "reason.limit": "会话达到限制",
}

package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/sites"
)

// Insights (admins and API tokens): knowledge gaps with a one-step publish
// into the knowledge base, at-risk customers, and feedback topics. Each GET
// takes ?from=&to= (YYYY-MM-DD, inclusive, UTC; default the last 30 days)
// and ?site=KEY, and answers CSV with ?format=csv.

// maxInsightsDays bounds a report's period.
const maxInsightsDays = 366

// insightsQuery reads the request's site and period.
func (s *Server) insightsQuery(c echo.Context) (*analytics.Insights, analytics.InsightsQuery, error) {
	if s.opts.Insights == nil {
		return nil, analytics.InsightsQuery{}, notEnabled("insights are")
	}
	// analyticsSites admitted the caller: ?site=KEY of their own, or an
	// admin's every site.
	var list []sites.Site
	if key := c.QueryParam("site"); key != "" {
		site, err := s.opts.Sites.ByKey(c.Request().Context(), key)
		if err != nil {
			return nil, analytics.InsightsQuery{}, err
		}
		list = []sites.Site{*site}
	} else {
		all, err := s.opts.Sites.List(c.Request().Context())
		if err != nil {
			return nil, analytics.InsightsQuery{}, err
		}
		for _, site := range all {
			if principalOf(c).scope.Allows(site.ID) {
				list = append(list, site)
			}
		}
	}
	from, to, err := reportPeriod(c.QueryParam("from"), c.QueryParam("to"), time.Now())
	if err != nil {
		return nil, analytics.InsightsQuery{}, err
	}
	switch f := c.QueryParam("format"); f {
	case "", "json", "csv":
	default:
		return nil, analytics.InsightsQuery{}, echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv, not "+strconv.Quote(f))
	}
	return s.opts.Insights, analytics.InsightsQuery{Sites: list, From: from, To: to}, nil
}

// reportPeriod parses from and to (inclusive days, UTC) into [from, to+1d).
// Either may be left out: to defaults to today, from to 29 days before to.
func reportPeriod(fromS, toS string, now time.Time) (time.Time, time.Time, error) {
	day := func(name, v string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s must be a date like 2026-01-31, not %q", name, v))
		}
		return t, nil
	}
	to := now.UTC().Truncate(24 * time.Hour)
	if toS != "" {
		t, err := day("to", toS)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		to = t
	}
	from := to.AddDate(0, 0, -29)
	if fromS != "" {
		f, err := day("from", fromS)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		from = f
	}
	if from.After(to) {
		return time.Time{}, time.Time{}, echo.NewHTTPError(http.StatusBadRequest, "from must not be after to")
	}
	if to.Sub(from) >= maxInsightsDays*24*time.Hour {
		return time.Time{}, time.Time{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("the period may span at most %d days", maxInsightsDays))
	}
	return from, to.AddDate(0, 0, 1), nil
}

func csvName(kind string, q analytics.InsightsQuery) string {
	scope := "all-sites"
	if len(q.Sites) == 1 {
		scope = q.Sites[0].Key
	}
	return fmt.Sprintf("kefu-%s-%s-%s-%s.csv", kind, scope, q.From.Format(time.DateOnly), q.To.AddDate(0, 0, -1).Format(time.DateOnly))
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// gapsReport serves GET /api/v1/analytics/gaps.
func (s *Server) gapsReport(c echo.Context) error {
	in, q, err := s.insightsQuery(c)
	if err != nil {
		return err
	}
	gaps, err := in.Gaps(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" {
		rows := make([][]string, len(gaps))
		for i, g := range gaps {
			rows[i] = []string{g.ID, strconv.Itoa(g.Count), g.Question, strings.Join(g.Examples, " | "), strings.Join(g.Languages, " "),
				strconv.Itoa(g.Reasons.Abstained), strconv.Itoa(g.Reasons.LowConfidence), strconv.Itoa(g.Reasons.NoAnswer),
				strconv.Itoa(g.Reasons.Tapped), strings.Join(g.TappedTopics, " | "),
				strings.Join(g.ConversationIDs, " "), g.Draft.Title, g.Draft.Question, g.Draft.Answer, rfc3339(g.LastAt)}
		}
		return writeCSV(c, csvName("gaps", q), []string{"id", "count", "question", "examples", "languages", "abstained",
			"low_confidence", "no_answer", "tapped", "tapped_topics", "conversation_ids", "draft_title", "draft_question", "draft_answer", "last_at"}, rows)
	}
	if gaps == nil {
		gaps = []analytics.Gap{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": gaps})
}

// atRiskReport serves GET /api/v1/analytics/at-risk.
func (s *Server) atRiskReport(c echo.Context) error {
	in, q, err := s.insightsQuery(c)
	if err != nil {
		return err
	}
	list, err := in.AtRisk(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" {
		rows := make([][]string, len(list))
		for i, a := range list {
			csat := ""
			if a.CSAT != nil {
				csat = strconv.FormatFloat(*a.CSAT, 'f', -1, 64)
			}
			rows[i] = []string{a.Customer.ID, a.Customer.Email, a.Customer.Name, strconv.FormatInt(a.VisitorID, 10),
				strings.Join(a.Reasons, " "), strconv.Itoa(a.NegativeMessages), csat, rfc3339(a.LastAt), strings.Join(a.ConversationIDs, " ")}
		}
		return writeCSV(c, csvName("at-risk", q), []string{"customer_id", "email", "name", "visitor_id", "reasons",
			"negative_messages", "csat", "last_at", "conversation_ids"}, rows)
	}
	if list == nil {
		list = []analytics.AtRisk{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": list})
}

// topicsReport serves GET /api/v1/analytics/topics.
func (s *Server) topicsReport(c echo.Context) error {
	in, q, err := s.insightsQuery(c)
	if err != nil {
		return err
	}
	report, err := in.Topics(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" {
		rows := make([][]string, len(report.Topics))
		for i, t := range report.Topics {
			rows[i] = []string{t.Topic, t.LabelEN, t.LabelZH, strconv.Itoa(t.Count), strconv.Itoa(t.Negative),
				strconv.Itoa(t.Neutral), strconv.Itoa(t.Positive), strings.Join(t.Examples, " | ")}
		}
		return writeCSV(c, csvName("topics", q), []string{"topic", "label_en", "label_zh", "count", "negative", "neutral",
			"positive", "examples"}, rows)
	}
	return c.JSON(http.StatusOK, report)
}

// Bounds of a published FAQ entry.
const (
	maxFAQQuestion = 500
	maxFAQAnswer   = 5000
	maxFAQTitle    = 120
)

// publishGap serves POST /api/v1/analytics/gaps/publish
// {"site":"KEY","question":"…","answer":"…","title":"…"?}: it adds the entry to
// the site's knowledge base as its own FAQ document, a one-item FAQ JSON
// file named "FAQ: <title>.json" (the title defaults to the question). The
// document is queued for ingestion like an upload (202) and is searchable,
// and used by the bot, once its status is ready, normally within a second.
// Publishing again under the same title replaces that entry; publishing the
// same entry twice changes nothing (200, the existing document).
func (s *Server) publishGap(c echo.Context) error {
	var req struct {
		Site     string `json:"site"`
		Question string `json:"question"`
		Answer   string `json:"answer"`
		Title    string `json:"title"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var site *sites.Site
	var err error
	if req.Site != "" {
		site, err = s.opts.Sites.ByKey(ctx, req.Site)
	} else {
		site, err = s.site(c)
	}
	if err != nil {
		return err
	}
	if !principalOf(c).scope.Allows(site.ID) {
		return echo.NewHTTPError(http.StatusForbidden, "you do not work for site "+site.Key)
	}
	q := strings.Join(strings.Fields(req.Question), " ")
	a := strings.TrimSpace(req.Answer)
	title := strings.Join(strings.Fields(req.Title), " ")
	if title == "" {
		title = q
	}
	bad := func(msg string) error { return echo.NewHTTPError(http.StatusBadRequest, msg) }
	switch {
	case q == "":
		return bad("question is required")
	case a == "":
		return bad("answer is required: write the answer the bot should give")
	case !utf8.ValidString(q + a + title):
		return bad("question, answer and title must be valid UTF-8")
	case utf8.RuneCountInString(q) > maxFAQQuestion:
		return bad(fmt.Sprintf("question is longer than %d characters", maxFAQQuestion))
	case utf8.RuneCountInString(a) > maxFAQAnswer:
		return bad(fmt.Sprintf("answer is longer than %d characters", maxFAQAnswer))
	}
	if r := []rune(title); len(r) > maxFAQTitle {
		title = strings.TrimSpace(string(r[:maxFAQTitle]))
	}
	if s.opts.Library == nil {
		return notEnabled("the knowledge base is")
	}
	data, err := json.MarshalIndent([]map[string]string{{"question": q, "answer": a}}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode FAQ entry: %w", err)
	}
	// "/" and "\" would be read as directories by SourceName.
	name := "FAQ: " + strings.NewReplacer("/", "-", `\`, "-").Replace(title) + ".json"
	doc, err := s.opts.Library.Add(ctx, site.ID, name, data)
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Action: audit.KnowledgeAdd, SiteID: &site.ID, Target: strconv.FormatInt(doc.ID, 10),
		Detail: map[string]any{"source": doc.Source, "via": "knowledge_gap"}})
	status := http.StatusAccepted
	if doc.Duplicate {
		status = http.StatusOK
	}
	return c.JSON(status, doc)
}

package web

import (
	"fmt"
	"kefu/internal/analytics"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// GET /api/v1/analytics/summary?from=YYYY-MM-DD&to=YYYY-MM-DD&site=KEY
// answers analytics.Summary as JSON (docs/analytics.md), or one of its tables as
// CSV with format=csv&table=summary|daily|reasons|intents|intent_trend|csat|model.
// Admins may leave site out for all sites; API tokens must name their site.

// analyticsSites admits the summary: with ?site=KEY, callers who work for
// that site (siteAccess); without it, console admins only (every site),
// since a token reads one site's analytics at a time.
func (s *Server) analyticsSites(next echo.HandlerFunc) echo.HandlerFunc {
	scoped := s.siteAccess(next)
	return func(c echo.Context) error {
		if c.QueryParam("site") != "" {
			return scoped(c)
		}
		if !principalOf(c).admin() {
			return echo.NewHTTPError(http.StatusBadRequest, "pass ?site=KEY: API tokens read one site's analytics at a time")
		}
		return next(c)
	}
}

func (s *Server) analyticsSummary(c echo.Context) error {
	if s.opts.Analytics == nil {
		return notEnabled("analytics are")
	}
	ctx := c.Request().Context()
	period, err := analytics.ParsePeriod(c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	format, table := c.QueryParam("format"), c.QueryParam("table")
	switch format {
	case "", "json":
	case "csv":
		if _, ok := csvTables[table]; !ok {
			return echo.NewHTTPError(http.StatusBadRequest,
				"table must be one of summary, daily, reasons, intents, intent_trend, csat, model")
		}
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv")
	}
	q := analytics.SummaryQuery{Period: period}
	if key := c.QueryParam("site"); key != "" {
		site, err := s.opts.Sites.ByKey(ctx, key)
		if err != nil {
			return err
		}
		q.SiteIDs, q.Site = []int64{site.ID}, site.Key
	} else if sc := principalOf(c).scope; !sc.All {
		q.SiteIDs = append([]int64{}, sc.SiteIDs...) // none: an empty summary, never every site
	}
	sum, err := s.opts.Analytics.Summary(ctx, q)
	if err != nil {
		return err
	}
	if format != "csv" {
		return c.JSON(http.StatusOK, sum)
	}
	site := sum.Site
	if site == "" {
		site = "all"
	}
	header, rows := csvTables[table](sum)
	return writeCSV(c, fmt.Sprintf("kefu-%s-%s-%s-%s.csv", table, site, sum.From, sum.To), header, rows)
}

// csvTables turn a summary into one CSV table each.
var csvTables = map[string]func(*analytics.Summary) ([]string, [][]string){
	"summary": func(s *analytics.Summary) ([]string, [][]string) {
		cur, prev := measureCells(&s.Current), measureCells(&s.Previous)
		rows := make([][]string, len(measureNames))
		for i, name := range measureNames {
			rows[i] = []string{name, cur[i], prev[i]}
		}
		return []string{"measure", s.From + ".." + s.To, s.PreviousFrom + ".." + s.PreviousTo}, rows
	},
	"daily": func(s *analytics.Summary) ([]string, [][]string) {
		rows := make([][]string, 0, len(s.Daily))
		for _, d := range s.Daily {
			rows = append(rows, []string{d.Day, csvInt(d.Conversations), csvInt(d.Escalated), csvInt(d.BotResolvedConfirmed),
				csvInt(d.BotResolvedAssumed), csvFloatPtr(d.CSATAvg), csvFloatPtr(d.SentimentAvg), csvInt(d.Negative)})
		}
		return []string{"day", "conversations", "escalated", "bot_resolved_confirmed", "bot_resolved_assumed",
			"csat_avg", "sentiment_avg", "negative"}, rows
	},
	"reasons": func(s *analytics.Summary) ([]string, [][]string) {
		rows := make([][]string, 0, len(s.EscalationsByReason))
		for _, r := range s.EscalationsByReason {
			rows = append(rows, []string{r.Reason, csvInt(r.Count), csvInt(r.Previous)})
		}
		return []string{"reason", "count", "previous"}, rows
	},
	"intents": func(s *analytics.Summary) ([]string, [][]string) {
		rows := make([][]string, 0, len(s.Intents))
		for _, r := range s.Intents {
			rows = append(rows, []string{r.Intent, csvInt(r.Count), csvInt(r.Previous)})
		}
		return []string{"intent", "count", "previous"}, rows
	},
	"intent_trend": func(s *analytics.Summary) ([]string, [][]string) {
		rows := make([][]string, 0, len(s.IntentTrend))
		for _, r := range s.IntentTrend {
			rows = append(rows, []string{r.Day, r.Intent, csvInt(r.Count)})
		}
		return []string{"day", "intent", "count"}, rows
	},
	"csat": func(s *analytics.Summary) ([]string, [][]string) {
		var rows [][]string
		for _, g := range []struct {
			name string
			st   analytics.CSATStats
		}{{"bot", s.CSAT.Bot}, {"human", s.CSAT.Human}} {
			row := []string{g.name, csvFloatPtr(g.st.Avg), csvInt(g.st.Count)}
			for _, n := range g.st.Distribution {
				row = append(row, csvInt(n))
			}
			rows = append(rows, row)
		}
		return []string{"group", "avg", "count", "score_1", "score_2", "score_3", "score_4", "score_5"}, rows
	},
	"model": func(s *analytics.Summary) ([]string, [][]string) {
		m := s.Model
		return []string{"replies", "ttft_p50_ms", "ttft_p95_ms", "tokens", "price_per_1k_tokens", "estimated_cost"},
			[][]string{{csvInt(m.Replies), csvFloatPtr(m.TTFTP50MS), csvFloatPtr(m.TTFTP95MS), strconv.FormatInt(m.Tokens, 10),
				csvFloat(m.PricePer1KTokens), csvFloat(m.EstimatedCost)}}
	},
}

// measureNames are the summary table's rows, in measureCells' order.
var measureNames = []string{"conversations", "escalated", "escalation_rate", "bot_resolved_confirmed",
	"bot_resolved_assumed", "human_resolved", "reopened", "reopen_rate", "csat_avg", "csat_count",
	"first_response_p50_ms", "first_response_p90_ms", "human_first_response_p50_ms", "human_first_response_p90_ms",
	"queue_wait_p50_ms", "queue_wait_p90_ms", "resolution_p50_ms", "resolution_p90_ms"}

func measureCells(m *analytics.Measures) []string {
	return []string{csvInt(m.Conversations), csvInt(m.Escalated), csvFloat(m.EscalationRate), csvInt(m.BotResolvedConfirmed),
		csvInt(m.BotResolvedAssumed), csvInt(m.HumanResolved), csvInt(m.Reopened), csvFloat(m.ReopenRate), csvFloatPtr(m.CSATAvg),
		csvInt(m.CSATCount), csvFloatPtr(m.FirstResponseP50MS), csvFloatPtr(m.FirstResponseP90MS), csvFloatPtr(m.HumanFirstResponseP50MS),
		csvFloatPtr(m.HumanFirstResponseP90MS), csvFloatPtr(m.QueueWaitP50MS), csvFloatPtr(m.QueueWaitP90MS), csvFloatPtr(m.ResolutionP50MS),
		csvFloatPtr(m.ResolutionP90MS)}
}

func csvInt(n int) string       { return strconv.Itoa(n) }
func csvFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
func csvFloatPtr(x *float64) string { // null: an empty cell
	if x == nil {
		return ""
	}
	return csvFloat(*x)
}

package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kefu/intents"
)

// maxExamplesBody bounds an upload of intent examples.
const maxExamplesBody = 2 << 20

// addIntentExamples stores a site's own intent examples (a JSON array of
// {"text","label"}, or CSV with the header text,label) and retrains the
// site's classifier at once; the new intents apply without a restart.
func (s *Server) addIntentExamples(c echo.Context) error {
	if s.opts.Intents == nil || s.opts.IntentStore == nil {
		return notEnabled("custom intents are")
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxExamplesBody))
	if err != nil {
		return uploadError(err, maxExamplesBody)
	}
	var examples []intents.Example
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		if err := json.Unmarshal(body, &examples); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "send a JSON array of {\"text\",\"label\"} or CSV with the header text,label")
		}
	} else if examples, err = intents.ReadExamples(strings.NewReader(string(body))); err != nil {
		return fmt.Errorf("%w: %w", err, intents.ErrBadData)
	}
	if len(examples) == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "no examples")
	}
	ctx := c.Request().Context()
	n, err := s.opts.IntentStore.AddExamples(ctx, site.ID, examples)
	if err != nil {
		return err
	}
	report, err := s.opts.Intents.Retrain(ctx, site.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"added": n, "retrained": report})
}

// listIntents lists a site's own intents with their example counts.
func (s *Server) listIntents(c echo.Context) error {
	if s.opts.IntentStore == nil {
		return notEnabled("custom intents are")
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	list, err := s.opts.IntentStore.Intents(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": list})
}

package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kefu/chat"
)

// ---- Answer tests (admins and API tokens of the site) ----

func (s *Server) answerTests() (*chat.AnswerTests, error) {
	if s.opts.AnswerTests == nil {
		return nil, &featureOff{http.StatusNotImplemented, "answer tests are"}
	}
	return s.opts.AnswerTests, nil
}

// listAnswerTests serves GET /api/v1/answer-tests?site=KEY: the tests with
// their latest results, and the latest run (with what regressed).
func (s *Server) listAnswerTests(c echo.Context) error {
	at, err := s.answerTests()
	if err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tests, err := at.List(ctx, site.ID)
	if err != nil {
		return err
	}
	run, err := at.LatestRun(ctx, site.ID)
	if err != nil && !errors.Is(err, chat.ErrNotFound) {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tests": tests, "latest_run": run})
}

type answerTestInput struct {
	Question string      `json:"question"`
	Context  []string    `json:"context"`
	Customer string      `json:"customer"`
	Facts    []chat.Fact `json:"facts"`
}

// createAnswerTest serves POST /api/v1/answer-tests?site=KEY
// {"question","facts":[["30 days","30 天"]],"context":[],"customer":""}.
func (s *Server) createAnswerTest(c echo.Context) error {
	at, err := s.answerTests()
	if err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var in answerTestInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	for i := range in.Facts {
		for j := range in.Facts[i] {
			in.Facts[i][j] = strings.TrimSpace(in.Facts[i][j])
		}
	}
	t, err := at.Add(c.Request().Context(), site.ID, chat.AnswerTest{Question: in.Question, Context: in.Context, Customer: in.Customer, Facts: in.Facts})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

// deleteAnswerTest serves DELETE /api/v1/answer-tests/:id?site=KEY.
func (s *Server) deleteAnswerTest(c echo.Context) error {
	at, err := s.answerTests()
	if err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := at.Delete(c.Request().Context(), site.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// runAnswerTests serves POST /api/v1/answer-tests/run?site=KEY: runs every
// test now and answers with the run.
func (s *Server) runAnswerTests(c echo.Context) error {
	at, err := s.answerTests()
	if err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	run, err := at.Run(c.Request().Context(), site, "manual")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

// ---- The site's search vocabulary ----

// listSynonyms serves GET /api/v1/knowledge/synonyms?site=KEY.
func (s *Server) listSynonyms(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	list, err := s.opts.Library.Synonyms(c.Request().Context(), site.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": list})
}

// createSynonym serves POST /api/v1/knowledge/synonyms?site=KEY
// {"line":"send back, ship back => return"}.
func (s *Server) createSynonym(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var in struct {
		Line string `json:"line"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	syn, err := s.opts.Library.AddSynonym(c.Request().Context(), site.ID, in.Line)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, syn)
}

// deleteSynonym serves DELETE /api/v1/knowledge/synonyms/:id?site=KEY.
func (s *Server) deleteSynonym(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.opts.Library.DeleteSynonym(c.Request().Context(), site.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

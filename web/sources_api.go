package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"kefu/internal/audit"
	"kefu/sources"
)

// The knowledge sources API (admins and API tokens; every change audited):
//
//	GET    /api/v1/knowledge/sources?site=KEY        sources with their last run (paginated)
//	POST   /api/v1/knowledge/sources?site=KEY        {"url","kind","every","allow_private","max_pages","max_depth"}
//	GET    /api/v1/knowledge/sources/:id             one source, with its last run (progress while it runs)
//	PATCH  /api/v1/knowledge/sources/:id             {"every","paused"}
//	POST   /api/v1/knowledge/sources/:id/sync        sync now (202: the next free node runs it)
//	GET    /api/v1/knowledge/sources/:id/runs        the sync log (paginated)
//	DELETE /api/v1/knowledge/sources/:id             remove it with the pages and products it brought

// Audit actions of the sources API.
const (
	auditSourceAdd    = "source.add"
	auditSourceUpdate = "source.update"
	auditSourceSync   = "source.sync"
	auditSourceRemove = "source.remove"
)

func (s *Server) sourcesEnabled() error {
	if s.opts.Sources == nil {
		return notEnabled("knowledge sources are")
	}
	return nil
}

func (s *Server) listSources(c echo.Context) error {
	if err := s.sourcesEnabled(); err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Sources.List(c.Request().Context(), site.ID, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) addSource(c echo.Context) error {
	if err := s.sourcesEnabled(); err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var in struct {
		URL          string `json:"url"`
		Kind         string `json:"kind"`
		Every        string `json:"every"` // hourly, daily, weekly, manual or a duration; default daily
		AllowPrivate bool   `json:"allow_private"`
		MaxPages     int    `json:"max_pages"`
		MaxDepth     int    `json:"max_depth"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	every, err := sources.ParseSchedule(in.Every)
	if err != nil {
		return err
	}
	src, err := s.opts.Sources.Add(c.Request().Context(), sources.NewSource{SiteID: site.ID, Kind: strings.TrimSpace(in.Kind),
		URL: in.URL, Every: every, AllowPrivate: in.AllowPrivate, MaxPages: in.MaxPages, MaxDepth: in.MaxDepth})
	if err != nil {
		return err
	}
	s.recordSource(c, auditSourceAdd, src, map[string]any{"url": src.URL, "kind": src.Kind, "allow_private": src.AllowPrivate, "schedule": src.Schedule})
	return c.JSON(http.StatusCreated, src)
}

// source loads the :id source when the caller works for its site; any
// other is "not found", so its existence does not leak.
func (s *Server) source(c echo.Context) (*sources.Source, error) {
	if err := s.sourcesEnabled(); err != nil {
		return nil, err
	}
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	src, err := s.opts.Sources.Get(c.Request().Context(), 0, id)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).scope.Allows(src.SiteID) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "source not found")
	}
	return src, nil
}

func (s *Server) getSource(c echo.Context) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, src)
}

func (s *Server) updateSource(c echo.Context) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	var in struct {
		Every  *string `json:"every"`
		Paused *bool   `json:"paused"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	var u sources.Update
	detail := map[string]any{}
	if in.Every != nil {
		every, err := sources.ParseSchedule(*in.Every)
		if err != nil {
			return err
		}
		u.Every = &every
		detail["schedule"] = sources.ScheduleName(every)
	}
	if in.Paused != nil {
		u.Paused = in.Paused
		detail["paused"] = *in.Paused
	}
	out, err := s.opts.Sources.Update(c.Request().Context(), src.SiteID, src.ID, u)
	if err != nil {
		return err
	}
	s.recordSource(c, auditSourceUpdate, out, detail)
	return c.JSON(http.StatusOK, out)
}

func (s *Server) syncSource(c echo.Context) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	out, err := s.opts.Sources.RequestSync(c.Request().Context(), src.SiteID, src.ID)
	if err != nil {
		return err
	}
	s.recordSource(c, auditSourceSync, out, nil)
	return c.JSON(http.StatusAccepted, out)
}

func (s *Server) sourceRuns(c echo.Context) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Sources.Runs(c.Request().Context(), src.ID, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) removeSource(c echo.Context) error {
	src, err := s.source(c)
	if err != nil {
		return err
	}
	if _, err := s.opts.Sources.Remove(c.Request().Context(), src.SiteID, src.ID); err != nil {
		return err
	}
	s.recordSource(c, auditSourceRemove, src, map[string]any{"url": src.URL, "kind": src.Kind})
	return c.NoContent(http.StatusNoContent)
}

// recordSource audits an action on src by the caller.
func (s *Server) recordSource(c echo.Context, action string, src *sources.Source, detail map[string]any) {
	site := src.SiteID
	s.record(c, audit.Entry{SiteID: &site, Action: action, Target: strconv.FormatInt(src.ID, 10), Detail: detail})
}

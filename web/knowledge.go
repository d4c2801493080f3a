package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"kefu/internal/sites"
	"kefu/knowledge"
)

// site resolves the request's ?site=KEY, or the only site when it is absent.
func (s *Server) site(c echo.Context) (*sites.Site, error) {
	ctx := c.Request().Context()
	if key := c.QueryParam("site"); key != "" {
		return s.opts.Sites.ByKey(ctx, key)
	}
	list, err := s.opts.Sites.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(list) != 1 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "pass ?site=KEY")
	}
	return &list[0], nil
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "id must be a positive number")
	}
	return id, nil
}

func (s *Server) uploadDocument(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.opts.MaxUploadBytes)
	fh, err := c.FormFile("file")
	if err != nil {
		return uploadError(err, s.opts.MaxUploadBytes)
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.opts.MaxUploadBytes+1))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > s.opts.MaxUploadBytes {
		return uploadError(&http.MaxBytesError{Limit: s.opts.MaxUploadBytes}, s.opts.MaxUploadBytes)
	}
	doc, err := s.opts.Library.Add(c.Request().Context(), site.ID, fh.Filename, data)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if doc.Duplicate {
		status = http.StatusOK
	}
	return c.JSON(status, doc)
}

func uploadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("upload is larger than %d MB", limit>>20))
	}
	return echo.NewHTTPError(http.StatusBadRequest, "send the document as multipart form field \"file\"")
}

func (s *Server) listDocuments(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Library.List(c.Request().Context(), site.ID, c.QueryParam("q"), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) getDocument(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	doc, err := s.opts.Library.Get(c.Request().Context(), site.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, doc)
}

func (s *Server) deleteDocument(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.opts.Library.Delete(c.Request().Context(), site.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) searchKnowledge(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	k, err := queryInt(c, "k")
	if err != nil {
		return err
	}
	if k <= 0 || k > 50 {
		k = 5
	}
	res, err := s.opts.Library.Search(c.Request().Context(), site.ID, c.QueryParam("q"), k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) putOrder(c echo.Context) error {
	return upsert(s, c, "number", func(o *knowledge.Order) *string { return &o.Number }, s.opts.Commerce.UpsertOrder)
}

func (s *Server) putProduct(c echo.Context) error {
	return upsert(s, c, "sku", func(p *knowledge.Product) *string { return &p.SKU }, s.opts.Commerce.UpsertProduct)
}

// upsert stores one record of the shop's (an order, a product) from a JSON
// body whose key, if given, must agree with the URL's.
func upsert[T any](s *Server, c echo.Context, param string, key func(*T) *string,
	store func(ctx context.Context, siteID int64, v T) error) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var v T
	if err := bindJSON(c, &v); err != nil {
		return err
	}
	k := key(&v)
	if *k != "" && *k != c.Param(param) {
		return echo.NewHTTPError(http.StatusBadRequest, param+" in the body differs from the URL")
	}
	*k = c.Param(param)
	if err := store(c.Request().Context(), site.ID, v); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// reindexJob is this node's re-index of every embedding, started from the
// console; one runs at a time. Its goroutine belongs to the server:
// Shutdown cancels it and waits for it (wait).
type reindexJob struct {
	mu      sync.Mutex
	running bool
	done    int
	total   int
	err     string
	model   string
	stopped bool               // Shutdown began: no new job starts
	cancel  context.CancelFunc // ends the running job
	wg      sync.WaitGroup     // the running job's goroutine
}

// stop cancels the running job and keeps new ones from starting; wait then
// waits for the job until ctx ends.
func (j *reindexJob) stop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.stopped = true
	if j.cancel != nil {
		j.cancel()
	}
}

func (j *reindexJob) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { j.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the re-index did not stop in time: %w", ctx.Err())
	}
}

func (j *reindexJob) status() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	return map[string]any{"running": j.running, "done": j.done, "total": j.total, "error": j.err, "model": j.model}
}

// startReindex rebuilds every chunk's vector with the current embedding
// model in the background; GET reports its progress.
func (s *Server) startReindex(c echo.Context) error {
	j := &s.reindex
	j.mu.Lock()
	if j.running { // one at a time: report the one running
		j.mu.Unlock()
		return c.JSON(http.StatusAccepted, j.status())
	}
	if j.stopped {
		j.mu.Unlock()
		return echo.NewHTTPError(http.StatusServiceUnavailable, "the server is shutting down")
	}
	j.running, j.done, j.total, j.err = true, 0, 0, ""
	j.model = s.opts.Library.Index().Embedder().Model()
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	j.wg.Add(1) // under j.mu, before stop: Shutdown's wait sees it
	j.mu.Unlock()
	go func() {
		defer j.wg.Done()
		defer cancel()
		err := s.opts.Library.Index().Reindex(ctx, func(done, total int) {
			j.mu.Lock()
			j.done, j.total = done, total
			j.mu.Unlock()
		})
		j.mu.Lock()
		j.running, j.cancel = false, nil
		if err != nil {
			j.err = "re-index failed; see the server log"
			s.logger.Error("reindex", "error", err)
		}
		j.mu.Unlock()
	}()
	return c.JSON(http.StatusAccepted, j.status())
}

func (s *Server) reindexStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.reindex.status())
}

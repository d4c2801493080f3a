package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/intents"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/internal/webhook"
	"kefu/knowledge"
	"kefu/sources"
)

// apiError is the JSON shape of every error response:
// {"error":{"code":"…","message":"…"}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorStatus maps an error to its status and public code and message. It is
// the one place where domain errors become HTTP statuses; anything it does not
// know is an internal error whose details are logged, never shown.
func errorStatus(err error) (int, apiError) {
	var off *featureOff
	if errors.As(err, &off) {
		return off.status, apiError{Code: "not_enabled", Message: off.what + " not enabled on this server"}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok {
			msg = http.StatusText(he.Code)
		}
		return he.Code, apiError{Code: codeFor(he.Code), Message: msg}
	}
	for _, m := range domainErrors {
		if errors.Is(err, m.err) {
			code := m.code
			if code == "" {
				code = codeFor(m.status)
			}
			return m.status, apiError{Code: code, Message: err.Error()}
		}
	}
	return http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"}
}

// domainErrors maps the packages' sentinel errors to statuses (and a code
// when the status's own does not tell a client what to do), most specific
// first; their messages are written for users and safe to show.
var domainErrors = []struct {
	err    error
	status int
	code   string
}{
	{knowledge.ErrUnsupported, http.StatusUnsupportedMediaType, ""},
	{knowledge.ErrNotFound, http.StatusNotFound, ""},
	{knowledge.ErrInvalid, http.StatusBadRequest, ""},
	{intents.ErrBadData, http.StatusBadRequest, ""},
	{webhook.ErrNotFound, http.StatusNotFound, ""},
	{webhook.ErrInvalid, http.StatusBadRequest, ""},
	{account.ErrUnauthorized, http.StatusUnauthorized, ""},
	{account.ErrForbidden, http.StatusForbidden, ""},
	{account.ErrNotFound, http.StatusNotFound, ""},
	{account.ErrInvalid, http.StatusBadRequest, ""},
	{account.ErrConflict, http.StatusConflict, ""},
	{audit.ErrInvalid, http.StatusBadRequest, ""},
	{analytics.ErrInvalid, http.StatusBadRequest, ""},
	{privacy.ErrInvalid, http.StatusBadRequest, ""},
	{sites.ErrNotFound, http.StatusNotFound, ""},
	{sites.ErrInvalid, http.StatusBadRequest, ""},
	{chat.ErrNotFound, http.StatusNotFound, ""},
	{chat.ErrInvalid, http.StatusBadRequest, ""},
	{chat.ErrConflict, http.StatusConflict, ""},
	{chat.ErrClaimed, http.StatusConflict, "claimed"},          // someone else has it: reload and move on
	{chat.ErrTransition, http.StatusConflict, "invalid_state"}, // not allowed in its state: reload
	{chat.ErrRateLimited, http.StatusTooManyRequests, ""},
	{sources.ErrNotFound, http.StatusNotFound, ""},
	{sources.ErrInvalid, http.StatusBadRequest, ""},
	{sources.ErrConflict, http.StatusConflict, ""},
	{sources.ErrBusy, http.StatusConflict, "busy"}, // a sync is running: try again when it ends
}

// featureOff answers a route whose part of the server was not configured
// (code not_enabled), so clients tell "this server has none" from "not found".
type featureOff struct {
	status int
	what   string
}

func (f *featureOff) Error() string { return f.what + " not enabled" }

// notEnabled is the error of a route whose part of the server is off: what
// is its subject with its verb ("webhooks are").
func notEnabled(what string) error { return &featureOff{status: http.StatusNotFound, what: what} }

// queryInt reads an optional non-negative integer query parameter (0 when
// absent); anything else is the caller's mistake, a 400.
func queryInt(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s must be a whole number of at least 0, not %q", name, v))
	}
	return n, nil
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := errorStatus(err)
	if status >= 500 {
		s.logger.ErrorContext(c.Request().Context(), "request failed", "path", c.Path(), "error", err)
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, map[string]apiError{"error": body})
	}
	if err != nil {
		s.logger.ErrorContext(c.Request().Context(), "write error response", "error", err)
	}
}

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

// bindJSON decodes a bounded JSON body, refusing unknown fields and trailing data.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body is too large")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: trailing data")
	}
	return nil
}

package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
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
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok {
			msg = http.StatusText(he.Code)
		}
		return he.Code, apiError{Code: codeFor(he.Code), Message: msg}
	}
	return http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"}
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

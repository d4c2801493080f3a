package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// cleanQuery refuses query strings that PostgreSQL cannot store or compare:
// NUL bytes and invalid UTF-8. Without it they reach whichever query reads
// the parameter first and surface as 500s (found by TestSecuritySQLInjection).
func cleanQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for k, vs := range c.QueryParams() {
			for _, v := range append(vs, k) {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
					return echo.NewHTTPError(http.StatusBadRequest, "query parameters must be UTF-8 text without NUL characters")
				}
			}
		}
		return next(c)
	}
}

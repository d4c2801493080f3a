package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// ObserveResponses makes every server built afterwards hand its responses to f.
func ObserveResponses(f func(r *http.Request, route string, status int, header http.Header, body []byte)) {
	observeResponses = f
}

// RoutesOf returns the server's route table.
func RoutesOf(s *Server) []*echo.Route { return s.echo.Routes() }

// OpenAPIDocument is the document /api/openapi.json serves.
func OpenAPIDocument() ([]byte, error) { return openAPIDocument("test") }

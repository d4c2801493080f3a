package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"
)

// The OpenAPI 3.1 description of the whole HTTP API is written by hand in
// openapi.yaml (readable, commented) and served as JSON at
// /api/openapi.json; the console's API page renders it. openapi_test.go
// keeps it true: every route of routes.go is described, and every response
// the test suite sees validates against it.

//go:embed openapi.yaml
var openapiYAML []byte

// openAPIDocument returns the document as JSON, with version as its info.version.
func openAPIDocument(version string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if info, ok := doc["info"].(map[string]any); ok && version != "" {
		info["version"] = version
	}
	return json.Marshal(doc)
}

// openAPI serves GET /api/openapi.json.
func (s *Server) openAPI(c echo.Context) error {
	s.openapiOnce.Do(func() { s.openapiJSON, s.openapiErr = openAPIDocument(s.opts.Version) })
	if s.openapiErr != nil {
		return s.openapiErr
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSONBlob(http.StatusOK, s.openapiJSON)
}

package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// widgetScript serves the embeddable widget (placeholder until the widget lands).
func (s *Server) widgetScript(c echo.Context) error {
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte("/* kefu widget */\n"))
}

// demoShop serves the demo storefront (placeholder until the widget lands).
func (s *Server) demoShop(c echo.Context) error {
	return c.HTML(http.StatusOK, "<!doctype html><title>kefu demo</title><p>kefu demo shop</p>")
}

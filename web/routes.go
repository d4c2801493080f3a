package web

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the one table of kefu's HTTP surface and its middleware.
func (s *Server) routes() {
	e := s.echo
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(s.metrics.middleware)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))

	// The shopper's side: the widget script, its socket (site key and Origin
	// checked per site), and the demo storefront.
	e.GET("/widget.js", s.widgetScript)
	e.HEAD("/widget.js", s.widgetScript)
	e.GET("/v1/widget/ws", s.widgetSocket)
	e.GET("/v1/widget/config", s.widgetConfig)
	e.GET("/demo", s.demoShop)

	// Admin API (bearer admin token until console sessions land).
	admin := e.Group("/api/v1", s.requireAdminToken)
	admin.POST("/knowledge/documents", s.uploadDocument)
	admin.GET("/knowledge/documents", s.listDocuments)
	admin.GET("/knowledge/documents/:id", s.getDocument)
	admin.DELETE("/knowledge/documents/:id", s.deleteDocument)
	admin.GET("/knowledge/search", s.searchKnowledge)
	admin.PUT("/orders/:number", s.putOrder)
	admin.PUT("/products/:sku", s.putProduct)
}

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

// TestHooks are the points where a test can stop a socket (see testHooks).
type TestHooks struct {
	HelloReplayed func(conversationID string, closeSocket func())
	HelloQueueing func()
	Deliver       func()
	AgentUpgraded func()
}

// SetTestHooks installs hooks on s; safe while s serves.
func SetTestHooks(s *Server, h TestHooks) {
	s.hooks.Store(&testHooks{helloReplayed: h.HelloReplayed, helloQueueing: h.HelloQueueing, deliver: h.Deliver,
		agentUpgraded: h.AgentUpgraded})
}

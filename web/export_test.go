package web

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

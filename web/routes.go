package web

import (
	"kefu/internal/audit"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the one table of kefu's HTTP surface and its middleware.
func (s *Server) routes() {
	e := s.echo
	if observeResponses != nil {
		e.Use(observe) // tests only: responses checked against openapi.yaml
	}
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(s.metrics.middleware)
	e.Use(cleanQuery) // NUL bytes and invalid UTF-8 in a query string: 400 (query.go)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	e.GET("/api/openapi.json", s.openAPI) // this table, described (openapi.yaml)

	// The shopper's side: the widget script, its socket (site key and Origin
	// checked per site), and the demo storefront.
	e.GET("/widget.js", s.widgetScript)
	e.HEAD("/widget.js", s.widgetScript)
	e.GET("/v1/widget/ws", s.widgetSocket)
	e.GET("/v1/widget/config", s.widgetConfig)
	e.GET("/demo", s.demoShop)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/demo") })

	// The HTTP API. authenticate identifies the caller (session cookie or
	// bearer API token); each route names its audience and, where it is
	// site-scoped, checks the caller's sites (rules in auth.go).
	e.POST("/api/v1/auth/login", s.login) // rate-limited; JSON from kefu's own pages only
	api := e.Group("/api/v1", s.authenticate)
	con, adm := s.allow(console), s.allow(admin)
	admOrTok, conOrTok := s.allow(adminOrToken), s.allow(consoleOrToken)

	api.POST("/auth/logout", s.logout, con)
	api.GET("/auth/me", s.me, con)

	// Inbox and conversation actions (agents of the conversation's site).
	api.GET("/conversations", s.listConversations, con)
	api.GET("/conversations/:id", s.getConversation, con)
	api.POST("/conversations/:id/claim", s.conversationAction(claimConversation), con, s.audited(audit.Claim))
	api.POST("/conversations/:id/messages", s.postMessage, con)
	api.POST("/conversations/:id/handback", s.conversationAction(handbackConversation), con)
	api.POST("/conversations/:id/transfer", s.conversationAction(transferConversation), con, s.audited(audit.Transfer))
	api.POST("/conversations/:id/resolve", s.conversationAction(resolveConversation), con)
	api.POST("/conversations/:id/suggest", s.suggestReply, con)
	api.GET("/agents", s.listAgents, con, s.siteAccess)
	api.GET("/canned", s.listCanned, con, s.siteAccess)
	api.GET("/sites", s.listSites, con)

	// Administration (admins only).
	api.GET("/users", s.listUsers, adm)
	api.POST("/users", s.createUser, adm, s.audited("user.create"))
	api.POST("/users/:id/disable", s.setUserDisabled(true), adm, s.audited("user.disable"))
	api.POST("/users/:id/enable", s.setUserDisabled(false), adm, s.audited("user.enable"))
	api.PUT("/users/:id/sites", s.setUserSites, adm, s.audited("user.sites"))
	api.DELETE("/users/:id/sessions", s.revokeUserSessions, adm, s.audited("user.revoke_sessions"))
	api.POST("/canned", s.createCanned, adm, s.siteAccess, s.audited("canned.create"))
	api.PUT("/canned/:id", s.updateCanned, adm, s.audited("canned.update"))
	api.DELETE("/canned/:id", s.deleteCanned, adm, s.audited("canned.delete"))
	api.GET("/tokens", s.listTokens, adm)
	api.POST("/tokens", s.createToken, adm, s.audited("token.create"))
	api.DELETE("/tokens/:id", s.revokeToken, adm, s.audited("token.revoke"))
	api.PUT("/sites/:key/settings", s.updateSiteSettings, adm, s.audited(audit.Settings))
	api.GET("/model", s.modelStatus, adm)

	// Webhooks (admins): subscriptions, their delivery log, redelivery.
	api.GET("/webhooks", s.listWebhooks, adm)
	api.POST("/webhooks", s.createWebhook, adm, s.siteAccess, s.audited("webhook.create"))
	api.GET("/webhooks/:id", s.webhookAction(getWebhook), adm)
	api.PUT("/webhooks/:id", s.webhookAction(updateWebhook), adm, s.audited("webhook.update"))
	api.DELETE("/webhooks/:id", s.webhookAction(deleteWebhook), adm, s.audited("webhook.delete"))
	api.POST("/webhooks/:id/enable", s.webhookAction(setWebhookEnabled(true)), adm, s.audited("webhook.enable"))
	api.POST("/webhooks/:id/disable", s.webhookAction(setWebhookEnabled(false)), adm, s.audited("webhook.disable"))
	api.POST("/webhooks/:id/rotate-secret", s.webhookAction(rotateWebhookSecret), adm, s.audited("webhook.rotate_secret"))
	api.GET("/webhooks/:id/deliveries", s.webhookAction(listWebhookDeliveries), adm)
	api.POST("/webhooks/:id/deliveries/:delivery/redeliver", s.webhookAction(redeliverWebhook), adm, s.audited("webhook.redeliver"))

	// Notifications: each console user's preferences; the emails' unsubscribe
	// links (public: the link's token is the credential).
	api.GET("/notifications/preferences", s.notificationPrefs, con)
	api.PUT("/notifications/preferences", s.setNotificationPrefs, con)
	api.POST("/notifications/test", s.testNotification, con)
	e.GET("/notifications/unsubscribe", s.unsubscribe)
	e.POST("/notifications/unsubscribe", s.unsubscribe)

	// Privacy (admins): data-subject export and erasure, the audit log.
	api.GET("/privacy/subjects", s.exportSubject, adm)
	api.DELETE("/privacy/subjects", s.eraseSubject, adm)
	api.GET("/privacy/model-data", s.modelData, adm)
	api.GET("/audit", s.listAudit, adm)

	// Knowledge and shop data: the console and shop backends (API tokens).
	api.POST("/knowledge/documents", s.uploadDocument, admOrTok, s.siteAccess, s.audited(audit.KnowledgeAdd))
	api.GET("/knowledge/documents", s.listDocuments, conOrTok, s.siteAccess)
	api.GET("/knowledge/documents/:id", s.getDocument, conOrTok, s.siteAccess)
	api.DELETE("/knowledge/documents/:id", s.deleteDocument, admOrTok, s.siteAccess, s.audited(audit.KnowledgeDel))
	api.POST("/knowledge/reindex", s.startReindex, adm, s.audited("knowledge.reindex"))
	api.GET("/knowledge/reindex", s.reindexStatus, adm)
	api.GET("/intents", s.listIntents, conOrTok, s.siteAccess)
	api.POST("/intents/examples", s.addIntentExamples, admOrTok, s.siteAccess, s.audited("intents.examples"))
	api.GET("/knowledge/search", s.searchKnowledge, conOrTok, s.siteAccess)
	api.GET("/knowledge/synonyms", s.listSynonyms, conOrTok, s.siteAccess)
	api.POST("/knowledge/synonyms", s.createSynonym, admOrTok, s.siteAccess, s.audited("knowledge.synonym_add"))
	api.DELETE("/knowledge/synonyms/:id", s.deleteSynonym, admOrTok, s.siteAccess, s.audited("knowledge.synonym_delete"))
	api.GET("/answer-tests", s.listAnswerTests, admOrTok, s.siteAccess)
	api.POST("/answer-tests", s.createAnswerTest, admOrTok, s.siteAccess, s.audited("answer_tests.create"))
	api.DELETE("/answer-tests/:id", s.deleteAnswerTest, admOrTok, s.siteAccess, s.audited("answer_tests.delete"))
	api.POST("/answer-tests/run", s.runAnswerTests, admOrTok, s.siteAccess)
	api.PUT("/orders/:number", s.putOrder, admOrTok, s.siteAccess)
	api.PUT("/products/:sku", s.putProduct, admOrTok, s.siteAccess)

	// Knowledge sources: pages, sitemaps, crawls and product feeds kefu
	// syncs (admins and API tokens; changes audited in the handlers, with
	// the source's site; sources_api.go).
	api.GET("/knowledge/sources", s.listSources, admOrTok, s.siteAccess)
	api.POST("/knowledge/sources", s.addSource, admOrTok, s.siteAccess)
	api.GET("/knowledge/sources/:id", s.getSource, admOrTok)
	api.PATCH("/knowledge/sources/:id", s.updateSource, admOrTok)
	api.POST("/knowledge/sources/:id/sync", s.syncSource, admOrTok)
	api.GET("/knowledge/sources/:id/runs", s.sourceRuns, admOrTok)
	api.DELETE("/knowledge/sources/:id", s.removeSource, admOrTok)

	// Analytics (admins, and API tokens for their site; docs/analytics.md).
	api.GET("/analytics/summary", s.analyticsSummary, admOrTok, s.analyticsSites)
	api.GET("/analytics/gaps", s.gapsReport, admOrTok, s.analyticsSites)
	api.POST("/analytics/gaps/publish", s.publishGap, admOrTok) // the body names the site; checked there
	api.GET("/analytics/at-risk", s.atRiskReport, admOrTok, s.analyticsSites)
	api.GET("/analytics/topics", s.topicsReport, admOrTok, s.analyticsSites)

	// The console's pages: one app shell, its hashed assets.
	e.GET("/console", s.consolePage)
	e.GET("/console/", s.consolePage)
	e.GET("/login", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console") })
	e.GET("/console/assets/:name", s.consoleAsset)

	// The agent console's live socket (session cookie, same origin).
	e.GET("/v1/agent/ws", s.agentSocket)
}

package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"kefu/internal/webhook"
)

// ---- Webhooks (admins; every change audited, see routes.go) ----

func (s *Server) webhooks() (*webhook.Service, error) {
	if s.opts.Webhooks == nil {
		return nil, &featureOff{http.StatusNotImplemented, "webhooks are"}
	}
	return s.opts.Webhooks, nil
}

// webhookList is GET /api/v1/webhooks's answer: the subscriptions and the
// event types one may ask for.
type webhookList struct {
	Items      []webhook.Subscription `json:"items"`
	EventTypes []string               `json:"event_types"`
}

// listWebhooks serves GET /api/v1/webhooks[?site=KEY].
func (s *Server) listWebhooks(c echo.Context) error {
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	var siteID int64
	if c.QueryParam("site") != "" {
		site, err := s.site(c)
		if err != nil {
			return err
		}
		siteID = site.ID
	}
	list, err := svc.List(c.Request().Context(), siteID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookList{Items: list, EventTypes: webhook.Types})
}

// createWebhook serves POST /api/v1/webhooks?site=KEY
// {"url","events":[…],"include_notes","allow_private","description"}: the
// answer carries the secret, shown this once.
func (s *Server) createWebhook(c echo.Context) error {
	svc, err := s.webhooks()
	if err != nil {
		return err
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var in webhook.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	w, err := svc.Create(c.Request().Context(), site.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w)
}

// webhookAction wraps a handler of /api/v1/webhooks/:id/… with the service
// and the subscription's id.
func (s *Server) webhookAction(fn func(c echo.Context, svc *webhook.Service, id int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		svc, err := s.webhooks()
		if err != nil {
			return err
		}
		id, err := pathID(c)
		if err != nil {
			return err
		}
		return fn(c, svc, id)
	}
}

// getWebhook serves GET /api/v1/webhooks/:id.
func getWebhook(c echo.Context, svc *webhook.Service, id int64) error {
	w, err := svc.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// updateWebhook serves PUT /api/v1/webhooks/:id with the fields of create.
func updateWebhook(c echo.Context, svc *webhook.Service, id int64) error {
	var in webhook.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	w, err := svc.Update(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// setWebhookEnabled serves POST /api/v1/webhooks/:id/enable and …/disable.
func setWebhookEnabled(on bool) func(c echo.Context, svc *webhook.Service, id int64) error {
	return func(c echo.Context, svc *webhook.Service, id int64) error {
		w, err := svc.SetEnabled(c.Request().Context(), id, on)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, w)
	}
}

// rotateWebhookSecret serves POST /api/v1/webhooks/:id/rotate-secret: the
// answer carries the new secret, shown this once.
func rotateWebhookSecret(c echo.Context, svc *webhook.Service, id int64) error {
	w, err := svc.RotateSecret(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// deleteWebhook serves DELETE /api/v1/webhooks/:id.
func deleteWebhook(c echo.Context, svc *webhook.Service, id int64) error {
	if err := svc.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listWebhookDeliveries serves GET /api/v1/webhooks/:id/deliveries
// ?state=pending|delivered|failed&cursor=&limit=: the delivery log, newest first.
func listWebhookDeliveries(c echo.Context, svc *webhook.Service, id int64) error {
	ctx := c.Request().Context()
	if _, err := svc.Get(ctx, id); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := svc.Deliveries(ctx, id, c.QueryParam("state"), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// redeliverWebhook serves POST /api/v1/webhooks/:id/deliveries/:delivery/redeliver.
func redeliverWebhook(c echo.Context, svc *webhook.Service, id int64) error {
	delivery, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil || delivery <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "delivery must be a positive number")
	}
	d, err := svc.Redeliver(c.Request().Context(), id, delivery)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/sites"
)

// The console's HTTP API: the inbox and conversation actions for agents;
// users, canned responses, API tokens, sites and the model's status for
// admins. Routes and their audiences are in routes.go, the rules in auth.go.

// conversationFor loads the :id conversation if the caller works for its
// site; otherwise it is not found (its existence does not leak).
func (s *Server) conversationFor(c echo.Context) (*chat.Conversation, error) {
	id := c.Param("id")
	notFound := fmt.Errorf("conversation %s: %w", id, chat.ErrNotFound)
	if !chat.ValidID(id) {
		return nil, notFound
	}
	conv, err := s.opts.Store.Conversation(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).scope.Allows(conv.SiteID) {
		return nil, notFound
	}
	return conv, nil
}

// optionalSite resolves ?site=KEY when given (0 when absent); the caller
// must work for it.
func (s *Server) optionalSite(c echo.Context) (int64, error) {
	key := c.QueryParam("site")
	if key == "" {
		return 0, nil
	}
	site, err := s.opts.Sites.ByKey(c.Request().Context(), key)
	if err != nil {
		return 0, err
	}
	if !principalOf(c).scope.Allows(site.ID) {
		return 0, echo.NewHTTPError(http.StatusForbidden, "you do not work for site "+key)
	}
	return site.ID, nil
}

// inboxPage is a page of the inbox with its badges.
type inboxPage struct {
	chat.Page[chat.InboxItem]
	Counts chat.InboxCounts `json:"counts"`
}

// listConversations serves GET /api/v1/conversations?state=&mine=1&site=&cursor=&limit=.
func (s *Server) listConversations(c echo.Context) error {
	p := principalOf(c)
	siteID, err := s.optionalSite(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	q := chat.InboxQuery{View: c.QueryParam("state"), Scope: p.scope, SiteID: siteID, Cursor: c.QueryParam("cursor"), Limit: limit}
	if c.QueryParam("mine") == "1" || c.QueryParam("mine") == "true" {
		q.Mine = p.user.ID
		if q.View == "" {
			q.View = chat.ViewAgent
		}
	}
	ctx := c.Request().Context()
	page, err := s.opts.Store.Inbox(ctx, q)
	if err != nil {
		return err
	}
	counts, err := s.opts.Store.InboxCounts(ctx, p.scope, p.user.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inboxPage{Page: page, Counts: counts})
}

// getConversation serves GET /api/v1/conversations/:id?after=SEQ.
func (s *Server) getConversation(c echo.Context) error {
	conv, err := s.conversationFor(c)
	if err != nil {
		return err
	}
	after, err := queryInt(c, "after")
	if err != nil {
		return err
	}
	d, err := s.opts.Engine.Detail(c.Request().Context(), conv.ID, max(0, after))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// conversationAction serves the actions that answer with the conversation.
func (s *Server) conversationAction(act func(s *Server, c echo.Context, conv *chat.Conversation) (*chat.Conversation, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		conv, err := s.conversationFor(c)
		if err != nil {
			return err
		}
		conv, err = act(s, c, conv)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, conv)
	}
}

func claimConversation(s *Server, c echo.Context, conv *chat.Conversation) (*chat.Conversation, error) {
	return s.opts.Engine.Claim(c.Request().Context(), conv.ID, principalOf(c).user)
}

func handbackConversation(s *Server, c echo.Context, conv *chat.Conversation) (*chat.Conversation, error) {
	return s.opts.Engine.Handback(c.Request().Context(), conv.ID, principalOf(c).user)
}

func resolveConversation(s *Server, c echo.Context, conv *chat.Conversation) (*chat.Conversation, error) {
	return s.opts.Engine.Resolve(c.Request().Context(), conv.ID, principalOf(c).user)
}

func transferConversation(s *Server, c echo.Context, conv *chat.Conversation) (*chat.Conversation, error) {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		return nil, err
	}
	if in.UserID <= 0 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "user_id is required")
	}
	return s.opts.Engine.Transfer(c.Request().Context(), conv.ID, principalOf(c).user, in.UserID)
}

// postedMessage answers POST …/messages: the conversation and the message.
type postedMessage struct {
	*chat.Conversation
	Message *chat.Message `json:"message"`
}

// postMessage serves POST /api/v1/conversations/:id/messages
// {"text","internal":false,"client_id"?}: a reply to the shopper, or an
// internal note the shopper never sees.
func (s *Server) postMessage(c echo.Context) error {
	conv, err := s.conversationFor(c)
	if err != nil {
		return err
	}
	var in struct {
		Text     string `json:"text"`
		Internal bool   `json:"internal"`
		ClientID string `json:"client_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx, user := c.Request().Context(), principalOf(c).user
	var m *chat.Message
	if in.Internal {
		if m, err = s.opts.Engine.Note(ctx, conv.ID, user, in.Text, in.ClientID); err != nil {
			return err
		}
		if conv, err = s.opts.Store.Conversation(ctx, conv.ID); err != nil {
			return err
		}
	} else if m, conv, err = s.opts.Engine.Reply(ctx, conv.ID, user, in.Text, in.ClientID); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, postedMessage{Conversation: conv, Message: m})
}

// suggestReply serves POST /api/v1/conversations/:id/suggest: a draft for
// the agent to edit; nothing reaches the shopper.
func (s *Server) suggestReply(c echo.Context) error {
	conv, err := s.conversationFor(c)
	if err != nil {
		return err
	}
	sug, err := s.opts.Engine.Suggest(c.Request().Context(), conv.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sug)
}

// agentEntry is a colleague as the transfer picker shows them.
type agentEntry struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Status string `json:"status"` // online, away or offline
}

// listAgents serves GET /api/v1/agents?site=KEY: who works for the site
// and whether they are online.
func (s *Server) listAgents(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	users, err := s.opts.Accounts.Users.Agents(ctx, site.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	status, err := s.opts.Accounts.Presence.Statuses(ctx, ids)
	if err != nil {
		return err
	}
	out := make([]agentEntry, len(users))
	for i, u := range users {
		st := status[u.ID]
		if st == "" {
			st = account.StatusOffline
		}
		out[i] = agentEntry{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Status: st}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// ---- Users (admins) ----

func (s *Server) listUsers(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Accounts.Users.List(c.Request().Context(), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// siteIDs resolves site keys.
func (s *Server) siteIDs(c echo.Context, keys []string) ([]int64, error) {
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		site, err := s.opts.Sites.ByKey(c.Request().Context(), k)
		if errors.Is(err, sites.ErrNotFound) {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "unknown site key "+k)
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, site.ID)
	}
	return ids, nil
}

// createUser serves POST /api/v1/users {"email","name","role","password"?,"sites"?}.
// Without a password one is generated and returned this once.
func (s *Server) createUser(c echo.Context) error {
	var in struct {
		Email    string   `json:"email"`
		Name     string   `json:"name"`
		Role     string   `json:"role"`
		Password string   `json:"password"`
		Sites    []string `json:"sites"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ids, err := s.siteIDs(c, in.Sites)
	if err != nil {
		return err
	}
	generated := in.Password == ""
	if generated {
		in.Password = account.NewPassword()
	}
	ctx := c.Request().Context()
	u, err := s.opts.Accounts.Users.Create(ctx, in.Email, in.Name, in.Role, in.Password)
	if err != nil {
		return err
	}
	if err := s.opts.Accounts.Users.SetSites(ctx, u.ID, ids); err != nil {
		return err
	}
	out := map[string]any{"user": account.Member{User: *u, SiteIDs: ids}}
	if generated {
		out["password"] = in.Password
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) setUserDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if disabled && id == principalOf(c).user.ID {
			return echo.NewHTTPError(http.StatusBadRequest, "you cannot disable yourself")
		}
		u, err := s.opts.Accounts.Users.SetDisabled(c.Request().Context(), id, disabled)
		if err != nil {
			return err
		}
		if disabled {
			s.opts.Engine.PublishPresence(c.Request().Context(), u, account.StatusOffline)
		}
		return c.JSON(http.StatusOK, u)
	}
}

// setUserSites serves PUT /api/v1/users/:id/sites {"sites":["KEY",…]}.
func (s *Server) setUserSites(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Sites []string `json:"sites"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ids, err := s.siteIDs(c, in.Sites)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.opts.Accounts.Users.ByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.opts.Accounts.Users.SetSites(ctx, id, ids); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, account.Member{User: *u, SiteIDs: ids})
}

// revokeUserSessions serves DELETE /api/v1/users/:id/sessions: sign the
// user out everywhere.
func (s *Server) revokeUserSessions(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.opts.Accounts.Users.ByID(ctx, id); err != nil {
		return err
	}
	n, err := s.opts.Accounts.Sessions.RevokeUser(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"revoked": n})
}

// ---- Canned responses ----

// errNoCanned answers the canned-response routes of a server without Canned.
var errNoCanned = notEnabled("canned responses are")

// listCanned serves GET /api/v1/canned?site=KEY&q=PREFIX&cursor=.
func (s *Server) listCanned(c echo.Context) error {
	if s.opts.Canned == nil {
		return errNoCanned
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Canned.List(c.Request().Context(), site.ID, c.QueryParam("q"), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

type cannedInput struct {
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
}

// createCanned serves POST /api/v1/canned?site=KEY {"shortcut","text"}.
func (s *Server) createCanned(c echo.Context) error {
	if s.opts.Canned == nil {
		return errNoCanned
	}
	site, err := s.site(c)
	if err != nil {
		return err
	}
	var in cannedInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.opts.Canned.Create(c.Request().Context(), site.ID, in.Shortcut, in.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

// cannedFor loads the :id canned response of a site the caller works for.
func (s *Server) cannedFor(c echo.Context) (*chat.CannedResponse, error) {
	if s.opts.Canned == nil {
		return nil, errNoCanned
	}
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	r, err := s.opts.Canned.Get(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).scope.Allows(r.SiteID) {
		return nil, fmt.Errorf("canned response %d: %w", id, chat.ErrNotFound)
	}
	return r, nil
}

// updateCanned serves PUT /api/v1/canned/:id {"shortcut","text"}.
func (s *Server) updateCanned(c echo.Context) error {
	r, err := s.cannedFor(c)
	if err != nil {
		return err
	}
	var in cannedInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if r, err = s.opts.Canned.Update(c.Request().Context(), r.ID, in.Shortcut, in.Text); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// deleteCanned serves DELETE /api/v1/canned/:id.
func (s *Server) deleteCanned(c echo.Context) error {
	r, err := s.cannedFor(c)
	if err != nil {
		return err
	}
	if err := s.opts.Canned.Delete(c.Request().Context(), r.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- API tokens (admins) ----

func (s *Server) listTokens(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.opts.Accounts.Tokens.List(c.Request().Context(), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// createToken serves POST /api/v1/tokens {"name","site"?}: the answer holds
// the token's plaintext, shown this once.
func (s *Server) createToken(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
		Site string `json:"site"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	var siteID *int64
	if in.Site != "" {
		ids, err := s.siteIDs(c, []string{in.Site})
		if err != nil {
			return err
		}
		siteID = &ids[0]
	}
	t, plain, err := s.opts.Accounts.Tokens.Create(c.Request().Context(), in.Name, siteID, &principalOf(c).user.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"api_token": t, "token": plain})
}

// revokeToken serves DELETE /api/v1/tokens/:id.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := s.opts.Accounts.Tokens.Revoke(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// ---- Sites and the model ----

// listSites serves GET /api/v1/sites: the sites the caller works for; only
// admins see identity secrets.
func (s *Server) listSites(c echo.Context) error {
	p := principalOf(c)
	list, err := s.opts.Sites.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := []sites.Site{}
	for _, site := range list {
		if !p.scope.Allows(site.ID) {
			continue
		}
		if !p.admin() {
			site.Secret = ""
		}
		out = append(out, site)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out, "next_cursor": ""})
}

// updateSiteSettings serves PUT /api/v1/sites/:key/settings with the whole
// settings object (sites.Config's fields, plus any the widget keeps); the
// store refuses settings that do not decode or validate.
func (s *Server) updateSiteSettings(c echo.Context) error {
	var settings map[string]any
	if err := bindJSON(c, &settings); err != nil {
		return err
	}
	if settings == nil {
		return echo.NewHTTPError(http.StatusBadRequest, "settings must be a JSON object")
	}
	key := c.Param("key")
	site, err := s.opts.Sites.UpdateSettings(c.Request().Context(), key, settings)
	if err != nil {
		return err
	}
	s.siteMu.Lock()
	delete(s.siteCache, key) // the widget sees the change at once on this node
	s.siteMu.Unlock()
	return c.JSON(http.StatusOK, site)
}

// modelStatus serves GET /api/v1/model.
func (s *Server) modelStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.opts.Engine.ModelStatus())
}

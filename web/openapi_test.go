package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"kefu/web"
)

// The OpenAPI document is checked two ways: every route of the route table
// is described (and nothing else is), and every response any test of this
// package gets from a server validates against it (TestMain installs
// checkResponse before the tests run, and fails the run on a mismatch).

var apiCheck struct {
	once      sync.Once
	v         validator.Validator
	err       error
	mu        sync.Mutex
	failures  []string
	validated map[string]int // by "METHOD route"
}

func openAPIValidator() (validator.Validator, error) {
	apiCheck.once.Do(func() {
		raw, err := web.OpenAPIDocument()
		if err != nil {
			apiCheck.err = err
			return
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			apiCheck.err = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			apiCheck.err = fmt.Errorf("build validator: %v", errs)
			return
		}
		apiCheck.v = v
	})
	return apiCheck.v, apiCheck.err
}

// checkResponse validates one response a test got against the document.
func checkResponse(r *http.Request, route string, status int, header http.Header, body []byte) {
	if route == "" || strings.HasSuffix(route, "/*") || r.Method == http.MethodHead || status == http.StatusSwitchingProtocols {
		return // not a route of the table (echo's 404), or nothing to check
	}
	v, err := openAPIValidator()
	key := r.Method + " " + route
	apiCheck.mu.Lock()
	defer apiCheck.mu.Unlock()
	if err != nil {
		apiCheck.failures = append(apiCheck.failures, err.Error())
		return
	}
	req := r.Clone(r.Context())
	req.Body = http.NoBody
	resp := &http.Response{StatusCode: status, Header: header.Clone(), Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		var msgs []string
		for _, e := range errs {
			msg := e.Message
			if e.Reason != "" {
				msg += ": " + e.Reason
			}
			for _, se := range e.SchemaValidationErrors {
				msg += fmt.Sprintf(" [%s: %s]", se.FieldPath, se.Reason)
			}
			msgs = append(msgs, msg)
		}
		b := body
		if len(b) > 300 {
			b = b[:300]
		}
		apiCheck.failures = append(apiCheck.failures, fmt.Sprintf("%s (%s) → %d: %s\n    body: %s", key, r.URL.RequestURI(), status,
			strings.Join(msgs, "; "), b))
		return
	}
	if apiCheck.validated == nil {
		apiCheck.validated = map[string]int{}
	}
	apiCheck.validated[key]++
}

// reportResponses prints what TestMain's checks found; false: a response
// did not match the document.
func reportResponses(w io.Writer) bool {
	apiCheck.mu.Lock()
	defer apiCheck.mu.Unlock()
	n := 0
	for _, c := range apiCheck.validated {
		n += c
	}
	fmt.Fprintf(w, "openapi: %d responses of %d operations validated against web/openapi.yaml\n", n, len(apiCheck.validated))
	if len(apiCheck.failures) == 0 {
		return true
	}
	sort.Strings(apiCheck.failures)
	fmt.Fprintf(w, "FAIL: %d responses do not match web/openapi.yaml:\n", len(apiCheck.failures))
	seen := map[string]bool{}
	for _, f := range apiCheck.failures {
		if !seen[f] {
			seen[f] = true
			fmt.Fprintln(w, "  "+f)
		}
	}
	return false
}

var pathParam = regexp.MustCompile(`:([a-z_]+)`)

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	raw, err := web.OpenAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("the document is not valid OpenAPI: %s %s %v", e.Message, e.Reason, e.SchemaValidationErrors)
		}
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	if got := model.Model.Version; got != "3.1.0" {
		t.Errorf("openapi %q; want 3.1.0", got)
	}
	described := map[string]bool{}
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	table := map[string]bool{}
	for _, r := range web.RoutesOf(web.New(web.Options{})) {
		if strings.HasSuffix(r.Path, "/*") || !strings.Contains("GET HEAD POST PUT PATCH DELETE", r.Method) {
			continue // echo's not-found routes of groups
		}
		key := r.Method + " " + pathParam.ReplaceAllString(r.Path, "{$1}")
		table[key] = true
		if !described[key] {
			t.Errorf("route %s is not described in web/openapi.yaml", key)
		}
	}
	for key := range described {
		if !table[key] {
			t.Errorf("web/openapi.yaml describes %s, which is not in the route table", key)
		}
	}
	if len(table) < 80 {
		t.Errorf("only %d routes in the table; the walk is broken", len(table))
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := web.New(web.Options{Version: "1.2.3"}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"openapi":"3.1.0"`) ||
		!strings.Contains(rec.Body.String(), `"version":"1.2.3"`) || !strings.Contains(rec.Body.String(), `"/api/v1/webhooks/{id}/deliveries"`) {
		t.Fatalf("GET /api/openapi.json = %d %.200s", rec.Code, rec.Body.String())
	}
}

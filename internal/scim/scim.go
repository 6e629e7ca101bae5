// Package scim is Steward's SCIM 2.0 service (RFC 7643, RFC 7644) at
// /scim/v2: the company directory (Microsoft Entra ID, Okta, …) creates,
// changes and deactivates people and teams. It belongs to the web layer: it
// turns SCIM resources into calls on people's store, which owns the users
// and teams tables and every rule about them (the leaver flow, reporting
// cycles, who manages whom). The protocol itself (schemas, validation,
// filters, list responses, errors) is github.com/elimity-com/scim.
//
// Users carry the enterprise extension (manager, department, employee
// number); Groups are teams. A person belongs to one team, so adding them
// to a group moves them from the one they were in.
package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"steward/internal/audit"
	"steward/internal/people"
)

// Prefix is where the service is mounted.
const Prefix = "/scim/v2"

const (
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	maxPage       = 200
)

// Service answers SCIM requests for one installation.
type Service struct {
	people *people.Store
	now    func() time.Time
	log    *slog.Logger
	server lib.Server
	base   string // absolute URL of Prefix
}

// New builds the service; baseURL is the installation's public URL.
func New(store *people.Store, now func() time.Time, baseURL string, log *slog.Logger) (*Service, error) {
	s := &Service{people: store, now: now, log: log, base: strings.TrimRight(baseURL, "/") + Prefix}
	spc := &lib.ServiceProviderConfig{
		DocumentationURI: optional.NewString(strings.TrimRight(baseURL, "/") + "/docs/scim"),
		MaxResults:       maxPage,
		SupportFiltering: true,
		SupportPatch:     true,
	}
	users := lib.ResourceType{
		ID:               optional.NewString("User"),
		Name:             "User",
		Endpoint:         "/Users",
		Description:      optional.NewString("A person at the company"),
		Schema:           schema.CoreUserSchema(),
		SchemaExtensions: []lib.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
		Handler:          userHandler{s},
	}
	groups := lib.ResourceType{
		ID:          optional.NewString("Group"),
		Name:        "Group",
		Endpoint:    "/Groups",
		Description: optional.NewString("A team"),
		Schema:      schema.CoreGroupSchema(),
		Handler:     groupHandler{s},
	}
	srv, err := lib.NewServer(&lib.ServerArgs{ServiceProviderConfig: spc, ResourceTypes: []lib.ResourceType{users, groups}},
		lib.WithBaseURL(s.base))
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	s.server = srv
	return s, nil
}

type tokenKey struct{}

// ServeHTTP checks the bearer token, then the request's preconditions
// (If-Match, If-None-Match), then lets the protocol library answer.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, Prefix)
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, scimerr.ScimError{Status: http.StatusUnauthorized, Detail: "Send a provisioning token as 'Authorization: Bearer <token>'. An admin creates one under Admin > Provisioning."})
		return
	}
	id, err := s.people.CheckSCIMToken(context.WithoutCancel(r.Context()), strings.TrimSpace(token), s.now())
	if errors.Is(err, people.ErrNoToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="invalid_token"`)
		writeError(w, scimerr.ScimError{Status: http.StatusUnauthorized, Detail: "This provisioning token is unknown or has been revoked."})
		return
	}
	if err != nil {
		s.log.Error("scim: token check", "err", err)
		writeError(w, scimerr.ScimError{Status: http.StatusInternalServerError, Detail: "The token could not be checked; try again."})
		return
	}
	// The adaptor's request context is fasthttp's RequestCtx, whose Err
	// reads server state a later Serve writes: database calls get a
	// context of their own, bounded in time, carrying the token's id.
	ctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(r.Context()), tokenKey{}, id), 30*time.Second)
	defer cancel()
	r = r.WithContext(ctx)
	if path == "/ServiceProviderConfig" && r.Method == http.MethodGet {
		s.serviceProviderConfig(w)
		return
	}
	if !s.preconditions(w, r, path) {
		return
	}
	r.URL.Path = path // the library routes on the path below /v2
	s.server.ServeHTTP(w, r)
}

// actor is the audit log's name for the client behind r: the token's id,
// never the token.
func actor(r *http.Request) audit.Actor {
	id, _ := r.Context().Value(tokenKey{}).(int64)
	return audit.Actor{Label: "scim:token:" + strconv.FormatInt(id, 10)}
}

// preconditions answers If-None-Match on a GET of one resource with 304
// and refuses a change whose If-Match names another version with 412
// (RFC 7644 section 3.14). It reports whether to go on.
func (s *Service) preconditions(w http.ResponseWriter, r *http.Request, path string) bool {
	match, noneMatch := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	if match == "" && noneMatch == "" {
		return true
	}
	var version string
	switch {
	case strings.HasPrefix(path, "/Users/"):
		u, err := s.people.DirectoryPerson(r.Context(), parseID(strings.TrimPrefix(path, "/Users/")))
		if err != nil {
			return true // the library answers 404
		}
		version = userVersion(u)
	case strings.HasPrefix(path, "/Groups/"):
		t, err := s.people.DirectoryTeam(r.Context(), parseID(strings.TrimPrefix(path, "/Groups/")))
		if err != nil {
			return true
		}
		version = teamVersion(t)
	default:
		return true
	}
	if noneMatch != "" && r.Method == http.MethodGet && etagListed(noneMatch, version) {
		w.Header().Set("ETag", version)
		w.WriteHeader(http.StatusNotModified)
		return false
	}
	if match != "" && r.Method != http.MethodGet && !etagListed(match, version) {
		writeError(w, scimerr.ScimError{Status: http.StatusPreconditionFailed,
			Detail: "The resource has changed since the version named in If-Match (" + version + " now); read it again."})
		return false
	}
	return true
}

func etagListed(header, version string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || v == version || strings.TrimPrefix(v, "W/") == strings.TrimPrefix(version, "W/") {
			return true
		}
	}
	return false
}

func (s *Service) serviceProviderConfig(w http.ResponseWriter) {
	doc := map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": strings.TrimSuffix(s.base, Prefix) + "/docs/scim",
		"patch":            map[string]bool{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxPage},
		"changePassword":   map[string]bool{"supported": false},
		"sort":             map[string]bool{"supported": false},
		"etag":             map[string]bool{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A provisioning token created by an admin under Admin > Provisioning.",
		}},
		"meta": map[string]string{"resourceType": "ServiceProviderConfig", "location": s.base + "/ServiceProviderConfig"},
	}
	w.Header().Set("Content-Type", "application/scim+json")
	_ = json.NewEncoder(w).Encode(doc)
}

func writeError(w http.ResponseWriter, e scimerr.ScimError) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// parseID reads a SCIM id, Steward's numeric id; anything else is 0,
// which no resource has.
func parseID(s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// fail turns a domain error into the SCIM error a client understands. An
// unexpected error is logged and answered without its text, which may name
// tables and columns.
func (s *Service) fail(err error, id string) error {
	var detail string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, people.ErrNotFound):
		return scimerr.ScimErrorResourceNotFound(id)
	case errors.Is(err, people.ErrDuplicateEmail):
		detail = "Another person already has this userName or email; find them with filter=userName eq \"…\" and update them instead."
	case errors.Is(err, people.ErrDuplicateExternalID):
		detail = "Another resource already has this externalId or userName."
	case errors.Is(err, people.ErrDuplicateTeam):
		detail = "A team with this displayName already exists; find it with filter=displayName eq \"…\"."
	case errors.Is(err, people.ErrLastAdmin):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeMutability, Status: http.StatusBadRequest,
			Detail: "This is Steward's last active admin; make someone else an admin before deactivating them."}
	case errors.Is(err, people.ErrManagerCycle):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest,
			Detail: "The manager reports, directly or not, to this person: the change would make a reporting cycle."}
	case errors.Is(err, people.ErrUnknownManager):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest,
			Detail: "The manager's id is not a person Steward knows; provision the manager first."}
	case errors.Is(err, people.ErrInvalid):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest,
			Detail: strings.TrimPrefix(err.Error(), "people: invalid value: ")}
	case isScimError(err):
		return err
	default:
		s.log.Error("scim: request failed", "err", err)
		return scimerr.ScimError{Status: http.StatusInternalServerError, Detail: "Steward could not complete the request; the reason is in its log."}
	}
	return scimerr.ScimError{ScimType: scimerr.ScimTypeUniqueness, Status: http.StatusConflict, Detail: detail}
}

func isScimError(err error) bool {
	var e scimerr.ScimError
	return errors.As(err, &e)
}

func invalid(format string, args ...any) error {
	return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)}
}

func timePtr(t time.Time) *time.Time { return &t }

func versionOf(t time.Time) string { return `W/"` + strconv.FormatInt(t.UnixNano(), 36) + `"` }

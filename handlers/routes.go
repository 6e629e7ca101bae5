package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"net/http"

	"steward/internal/people"
	staticfiles "steward/public"
)

// routes registers every route, grouped by who may use it. Read it top to
// bottom to know the whole surface of Steward.
func (s *Server) routes() {
	app := s.app
	app.Use(recover.New(recover.Config{EnableStackTrace: false}))
	app.Use(s.compressResponse) // gzip or brotli for text the page cache did not compress: compress.go
	app.Use(s.requestLog)       // and the headers every response carries: middleware.go
	app.Use("/static", filesystem.New(filesystem.Config{
		Root: http.FS(staticfiles.FS), MaxAge: 86400,
	}))
	app.Use(s.loadSession) // and no-store for signed-in people: session.go
	app.Use(s.limitBody)   // who may send how much: bodylimit.go
	app.Use(s.rejectControlChars)

	// ---- trust: limits on expensive work, the audit log, my data ----
	// One import or export at a time per person, four in all (see limits.go).
	app.Use(newWorkLimiter(4, 1).middleware)
	auditors := roles(people.RoleAdmin, people.RoleAuditor)
	s.route(fiber.MethodGet, "/admin/audit", auditors, s.auditLog)
	s.route(fiber.MethodGet, "/admin/audit.csv", auditors, s.auditExport)
	s.route(fiber.MethodGet, "/account/data", signedIn, s.myData)
	s.route(fiber.MethodGet, "/account/calendar", signedIn, s.calendarForm)
	s.route(fiber.MethodPost, "/account/calendar", signedIn, s.calendarReset)
	s.route(fiber.MethodPost, "/account/calendar/stop", signedIn, s.calendarStop)
	// The secret link is the credential: calendar apps sign in to nothing.
	s.route(fiber.MethodGet, "/calendar/:"+tokenParam, public, s.calendarFeed)
	s.route(fiber.MethodGet, "/account/data.json", signedIn, s.myDataJSON)

	admin := roles(people.RoleAdmin)
	managers := roles(people.RoleManager, people.RoleAdmin)

	// Operations.
	s.route(fiber.MethodGet, "/healthz", public, s.healthz)
	s.route(fiber.MethodGet, "/readyz", public, s.readyz)
	// Public as a route, but it answers only the bearer STEWARD_METRICS_TOKEN (metrics.go).
	s.route(fiber.MethodGet, "/metrics", public, s.metricsPage())

	// Signing in and out.
	s.route(fiber.MethodGet, "/login", public, s.loginForm)
	s.route(fiber.MethodPost, "/login", public, s.login)
	s.route(fiber.MethodPost, "/logout", signedIn, s.logout)
	s.route(fiber.MethodGet, "/auth/oidc/start", public, s.ssoStart)
	s.route(fiber.MethodGet, "/auth/oidc/callback", public, s.ssoCallback)
	s.route(fiber.MethodGet, "/password/forgot", public, s.forgotForm)
	s.route(fiber.MethodPost, "/password/forgot", public, s.forgotSend)
	s.route(fiber.MethodGet, "/password/reset/:token", public, s.resetForm)
	s.route(fiber.MethodPost, "/password/reset/:token", public, s.resetAccept)
	s.route(fiber.MethodGet, "/invite/:token", public, s.inviteForm)
	s.route(fiber.MethodPost, "/invite/:token", public, s.inviteAccept)

	// Everyone signed in: their own page and account.
	s.route(fiber.MethodGet, "/home", signedIn, s.home)
	s.route(fiber.MethodGet, "/account/password", signedIn, s.passwordForm)
	s.route(fiber.MethodPost, "/account/password", signedIn, s.changePassword)
	s.route(fiber.MethodGet, "/account/sessions", signedIn, s.accountSessions)
	s.route(fiber.MethodPost, "/account/sessions/end", signedIn, s.endMySessions)

	// ---- policies: public pages, API, acknowledgements, admin ----
	s.route(fiber.MethodGet, "/", public, s.policyIndex)
	s.route(fiber.MethodGet, "/privacy", public, s.privacyRedirect)
	s.route(fiber.MethodGet, "/policies/feed.atom", public, s.policyFeed)
	s.route(fiber.MethodGet, "/policies/:slug", public, s.policyCurrent)
	s.route(fiber.MethodGet, "/policies/:slug/history", public, s.policyHistory)
	s.route(fiber.MethodGet, "/policies/:slug/feed.atom", public, s.policyFeedOne)
	s.route(fiber.MethodGet, "/policies/:slug/v/:n.md", public, s.policyMarkdown)
	s.route(fiber.MethodGet, "/policies/:slug/v/:n", public, s.policyVersion)
	s.route(fiber.MethodGet, "/policies/:slug/diff/:a/:b", public, s.policyDiff)
	// Framable by STEWARD_EMBED_ORIGINS only: embed.go.
	s.route(fiber.MethodGet, "/policies/:slug/embed", public, s.policyEmbed(embedCSP(s.cfg.EmbedOrigins)))
	s.route(fiber.MethodGet, "/api/v1/openapi.json", public, s.apiOpenAPI)
	s.route(fiber.MethodGet, "/policies/:slug/diff", public, s.policyCompare)
	// The transparency log of published versions (translog.go).
	s.route(fiber.MethodGet, "/log", public, s.logPage)
	s.route(fiber.MethodGet, "/log/checkpoint", public, s.logCheckpoint)
	s.route(fiber.MethodGet, "/log/key", public, s.logKey)
	s.route(fiber.MethodGet, "/log/leaves", public, s.logLeaves)
	s.route(fiber.MethodGet, "/log/proof/inclusion", public, s.logInclusion)
	s.route(fiber.MethodGet, "/log/proof/consistency", public, s.logConsistency)
	s.route(fiber.MethodGet, "/api/v1/policies", public, s.apiPolicies)
	s.route(fiber.MethodGet, "/api/v1/policies/:slug", public, s.apiPolicy)
	s.route(fiber.MethodGet, "/api/v1/policies/:slug/versions/:n", public, s.apiPolicyVersion)
	s.route(fiber.MethodPost, "/subscribe", public, s.subscribe)
	s.route(fiber.MethodGet, "/subscribe/confirm/:token", public, s.subscribeConfirmForm)
	s.route(fiber.MethodPost, "/subscribe/confirm/:token", public, s.subscribeConfirm)
	s.route(fiber.MethodGet, "/unsubscribe/:token", public, s.unsubscribeForm)
	s.route(fiber.MethodPost, "/unsubscribe/:token", oneClick, s.unsubscribe)
	s.route(fiber.MethodGet, "/my/policies", signedIn, s.myPolicies)
	s.route(fiber.MethodGet, "/my/policies/:slug", signedIn, s.myPolicy)
	s.route(fiber.MethodPost, "/my/policies/:slug/acknowledge", signedIn, s.acknowledge)
	s.route(fiber.MethodPost, "/my/policies/:slug/check", signedIn, s.answerCheck)
	s.route(fiber.MethodGet, "/admin/policies", admin, s.adminPolicies)
	s.route(fiber.MethodGet, "/admin/policies/new", admin, s.adminPolicyNewForm)
	s.route(fiber.MethodPost, "/admin/policies", admin, s.adminPolicyCreate)
	s.route(fiber.MethodGet, "/admin/policies/translations", admin, s.adminTranslations)
	s.route(fiber.MethodGet, "/admin/policies/:slug", admin, s.adminPolicy)
	s.route(fiber.MethodGet, "/admin/policies/:slug/translate", admin, s.adminTranslateForm)
	s.route(fiber.MethodPost, "/admin/policies/:slug/translate", admin, s.adminTranslate)
	s.route(fiber.MethodPost, "/admin/policies/:slug/draft", admin, s.adminDraftSave)
	s.route(fiber.MethodPost, "/admin/policies/:slug/draft/delete", admin, s.adminDraftDelete)
	s.route(fiber.MethodGet, "/admin/policies/:slug/publish", admin, s.adminPublishConfirm)
	s.route(fiber.MethodPost, "/admin/policies/:slug/publish", admin, s.adminPublish)
	s.route(fiber.MethodGet, "/admin/policies/:slug/check", admin, s.adminCheck)
	s.route(fiber.MethodPost, "/admin/policies/:slug/check", admin, s.adminCheckSave)
	// Governance: owners, approvers, four eyes, reviews (policies_governance.go).
	s.route(fiber.MethodPost, "/admin/policies/:slug/submit", admin, s.draftSubmit)
	s.route(fiber.MethodPost, "/admin/policies/:slug/approve", admin, s.draftApprove)
	s.route(fiber.MethodPost, "/admin/policies/:slug/reject", admin, s.draftReject)
	s.route(fiber.MethodGet, "/admin/policies/:slug/governance", auditors, s.policyGovernance)
	s.route(fiber.MethodPost, "/admin/policies/:slug/governance", admin, s.policyGovernanceSave)
	s.route(fiber.MethodPost, "/admin/policies/:slug/four-eyes", admin, s.policyFourEyes)
	s.route(fiber.MethodPost, "/admin/policies/:slug/review", admin, s.policyReview)
	s.route(fiber.MethodGet, "/admin/policy-reviews", auditors, s.policyReviews)

	// ---- subprocessors: the published register (subprocessors.go) ----
	s.route(fiber.MethodGet, "/subprocessors", public, s.subprocessorsPage)
	s.route(fiber.MethodGet, "/subprocessors.csv", public, s.subprocessorsCSV)
	s.route(fiber.MethodGet, "/subprocessors/feed.atom", public, s.subprocessorFeed)
	s.route(fiber.MethodGet, "/subprocessors/v/:n", public, s.subprocessorVersion)
	s.route(fiber.MethodGet, "/subprocessors/diff/:a/:b", public, s.subprocessorDiff)
	s.route(fiber.MethodGet, "/api/v1/subprocessors", public, s.apiSubprocessors)
	s.route(fiber.MethodGet, "/admin/subprocessors", admin, s.adminSubprocessors)
	s.route(fiber.MethodPost, "/admin/subprocessors", admin, s.adminSubprocessorAdd)
	s.route(fiber.MethodPost, "/admin/subprocessors/publish", admin, s.adminSubprocessorPublish)
	s.route(fiber.MethodGet, "/admin/subprocessors/:id", admin, s.adminSubprocessor)
	s.route(fiber.MethodPost, "/admin/subprocessors/:id", admin, s.adminSubprocessorSave)
	s.route(fiber.MethodPost, "/admin/subprocessors/:id/remove", admin, s.adminSubprocessorRemove)

	// ---- courses: training, certificates, admin ----
	s.route(fiber.MethodGet, "/verify", public, s.verifyForm)
	s.route(fiber.MethodGet, "/verify/:code", public, s.verifyPage)
	s.route(fiber.MethodGet, "/courses", signedIn, s.myCourses)
	s.route(fiber.MethodGet, "/courses/:slug", signedIn, s.coursePage)
	s.route(fiber.MethodGet, "/courses/:slug/modules/:pos", signedIn, s.modulePage)
	s.route(fiber.MethodPost, "/courses/:slug/modules/:pos", signedIn, s.moduleSubmit)
	s.route(fiber.MethodGet, "/courses/:slug/attempts/:id", signedIn, s.attemptPage)
	s.route(fiber.MethodGet, "/courses/:slug/certificate", signedIn, s.certificatePage)
	s.route(fiber.MethodGet, "/admin/courses", admin, s.adminCourses)
	s.route(fiber.MethodGet, "/admin/courses/upload", admin, s.courseUploadForm)
	s.route(fiber.MethodPost, "/admin/courses/upload", admin, s.courseUpload)
	s.route(fiber.MethodGet, "/admin/courses/:slug", admin, s.adminCourse)
	s.route(fiber.MethodPost, "/admin/courses/:slug", admin, s.adminCourseSave)
	s.route(fiber.MethodGet, "/admin/courses/:slug/export.zip", admin, s.courseExport)
	s.route(fiber.MethodGet, "/admin/courses/:slug/people", admin, s.coursePeople)
	s.route(fiber.MethodPost, "/admin/courses/:slug/exemptions", admin, s.courseExempt)
	s.route(fiber.MethodGet, "/admin/courses/:slug/modules/:pos", admin, s.adminModule)
	s.route(fiber.MethodPost, "/admin/courses/:slug/modules/:pos", admin, s.adminModuleSave)
	s.route(fiber.MethodPost, "/admin/courses/:slug/modules/:pos/delete", admin, s.adminModuleDelete)

	// ---- organisation: branding and company facts ----
	s.route(fiber.MethodGet, "/org/logo", public, s.orgLogo)
	s.route(fiber.MethodGet, "/org/accent.css", public, s.orgAccentCSS)
	s.route(fiber.MethodGet, "/admin/organisation", admin, s.orgSettings)
	s.route(fiber.MethodPost, "/admin/organisation", admin, s.orgSave)
	s.route(fiber.MethodPost, "/admin/organisation/logo", admin, s.orgLogoUpload)
	s.route(fiber.MethodPost, "/admin/organisation/logo/delete", admin, s.orgLogoDelete)

	// ---- webhooks ----
	s.route(fiber.MethodGet, "/admin/webhooks", admin, s.webhooksList)
	s.route(fiber.MethodPost, "/admin/webhooks", admin, s.webhookCreate)
	s.route(fiber.MethodGet, "/admin/webhooks/:id", admin, s.webhookShow)
	s.route(fiber.MethodPost, "/admin/webhooks/:id/enable", admin, s.webhookEnable)
	s.route(fiber.MethodPost, "/admin/webhooks/:id/disable", admin, s.webhookDisable)
	s.route(fiber.MethodPost, "/admin/webhooks/:id/test", admin, s.webhookTest)
	s.route(fiber.MethodPost, "/admin/webhooks/:id/delete", admin, s.webhookDelete)

	// ---- mail: outbox ----
	s.route(fiber.MethodGet, "/admin/outbox", admin, s.outboxList)
	s.route(fiber.MethodGet, "/admin/outbox/:id", admin, s.outboxShow)
	s.route(fiber.MethodPost, "/admin/outbox/:id/retry", admin, s.outboxRetry)

	// Managers: their reporting line.
	s.route(fiber.MethodGet, "/account/settings", managers, s.settingsForm)
	s.route(fiber.MethodPost, "/account/settings", managers, s.saveSettings)
	s.route(fiber.MethodGet, "/team", managers, s.teamLine)
	s.route(fiber.MethodGet, "/team/people/:id", managers, s.teamPerson)

	// Admins: people and teams.
	s.route(fiber.MethodGet, "/admin/people", admin, s.peopleList)
	s.route(fiber.MethodGet, "/admin/people/new", admin, s.personNewForm)
	s.route(fiber.MethodPost, "/admin/people", admin, s.personCreate)
	s.route(fiber.MethodGet, "/admin/people/import", admin, s.importForm)
	s.route(fiber.MethodPost, "/admin/people/import", admin, s.importRoster)
	s.route(fiber.MethodPost, "/admin/people/invite-pending", admin, s.inviteEveryone)
	s.route(fiber.MethodGet, "/admin/people/:id", admin, s.personEditForm)
	s.route(fiber.MethodPost, "/admin/people/:id", admin, s.personUpdate)
	s.route(fiber.MethodPost, "/admin/people/:id/deactivate", admin, s.personDeactivate)
	s.route(fiber.MethodPost, "/admin/people/:id/reactivate", admin, s.personReactivate)
	s.route(fiber.MethodPost, "/admin/people/:id/invite", admin, s.personInvite)
	s.route(fiber.MethodPost, "/admin/people/:id/sessions/end", admin, s.adminEndSessions)
	s.route(fiber.MethodGet, "/admin/teams", admin, s.teamsList)
	s.route(fiber.MethodPost, "/admin/teams", admin, s.teamCreate)
	s.route(fiber.MethodPost, "/admin/teams/:id", admin, s.teamRename)
	s.route(fiber.MethodGet, "/admin/provisioning", admin, s.provisioningForm)
	s.route(fiber.MethodPost, "/admin/provisioning/tokens", admin, s.scimTokenCreate)
	s.route(fiber.MethodPost, "/admin/provisioning/tokens/:id/revoke", admin, s.scimTokenRevoke)

	// ---- reports and audit ----
	readers := roles(people.RoleAdmin, people.RoleAuditor)
	s.route(fiber.MethodGet, "/team/report", managers, s.teamReport)
	s.route(fiber.MethodGet, "/team/report.csv", managers, s.teamReportCSV)
	s.route(fiber.MethodPost, "/team/people/:id/remind", managers, s.remind)
	s.route(fiber.MethodPost, "/team/report/remind", managers, s.remindMany)
	s.route(fiber.MethodGet, "/reports", readers, s.orgReport)
	s.route(fiber.MethodGet, "/reports/evidence", readers, s.evidence)
	s.route(fiber.MethodGet, "/reports/evidence/pack", readers, s.evidencePack)

	// Anything else falls through to Fiber's router: a path that no route
	// has is a 404, a path that only other methods have is a 405 with
	// Allow; handleError words both.
}

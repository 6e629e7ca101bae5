// Command steward runs Steward: the web app, and the operator commands
// around it (migrations, imports, reminders, audit checks).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/config"
	"steward/internal/db"
	"steward/internal/logfmt"
)

// command is one subcommand: "serve", or two words like "people import".
type command struct {
	name    string
	args    string // shown in help after the name
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists every subcommand in the order --help shows them.
func commands() []command {
	return []command{
		{"serve", "[--demo]", "run the web app (and its mail worker, scheduler and report refresher)", cmdServe},
		{"migrate", "", "apply the embedded database migrations", cmdMigrate},
		{"backup", "FILE", "write a consistent copy of the SQLite database while it serves", cmdBackup},
		{"db copy", "--to postgres://... [--from sqlite:steward.db]", "copy every table into an empty PostgreSQL database and compare row counts", cmdDBCopy},
		{"demo", "[--people N]", "load the demo organisation into an empty database (--people N: a generated organisation of N people with three years of history)", cmdDemo},
		{"people import", "FILE.csv", "import a roster CSV (email,name,team,manager_email,role,hired_on)", cmdPeopleImport},
		{"user add", "--email E --name N [--role R] [--team T] [--manager E]", "add a person and set their password", cmdUserAdd},
		{"user passwd", "EMAIL", "set a person's password (read from standard input)", cmdUserPasswd},
		{"policies publish", "FILE.md...", "publish policy versions, each an approved draft unless four-eyes approval is off for its policy, and translations (NAME.LANG.md), from Markdown files (docs/policy-files.md)", cmdPoliciesPublish},
		{"policies export", "DIR", "write every published policy version as DIR/SLUG/vN.md, its translations as vN.LANG.md", cmdPoliciesExport},
		{"policies draft", "FILE.md... --as EMAIL", "save policy files as their policies' drafts, written by EMAIL, to submit and approve before publishing", cmdPoliciesDraft},
		{"policies submit", "SLUG --as EMAIL", "submit a policy's draft for approval", cmdPoliciesSubmit},
		{"policies approve", "SLUG --as EMAIL [--comment TEXT]", "approve a submitted draft as EMAIL, an approver who did not write it (four eyes)", cmdPoliciesApprove},
		{"policies reject", "SLUG --as EMAIL --comment TEXT", "send a submitted draft back to its author, saying why", cmdPoliciesReject},
		{"policies review", "SLUG --as EMAIL [--note TEXT]", "record that a policy was reviewed and needs no change", cmdPoliciesReview},
		{"courses import", "DIR", "validate a course folder and load it (a changed folder makes a new revision)", cmdCoursesImport},
		{"courses export", "SLUG DIR", "write a course as a folder in the import format", cmdCoursesExport},
		{"remind", "[--now 2027-03-01T09:00:00Z] [--dry-run]", "run the reminder sweep once and print what it queued", cmdRemind},
		{"mail send", "[--requeue-sending]", "deliver the mail that is due now over STEWARD_SMTP_URL", cmdMailSend},
		{"keys rotate", "", "make a new session signing key (the installation's own, when STEWARD_SESSION_KEYS is not set); the previous one still opens existing sessions", cmdKeysRotate},
		{"version", "", "print the commit this binary was built from, its Go version and the newest database schema it knows", cmdVersion},
		{"audit verify", "[--checkpoint FILE]", "check the audit log's hash chain (and, given a checkpoint, that nothing it saw was removed or rewritten); exit 1 naming the first bad entry", cmdAuditVerify},
		{"audit checkpoint", "[--out FILE]", "sign the audit trail's head with the log key, record it in the transparency log, and write it out", cmdAuditCheckpoint},
		{"evidence pack", "--out FILE.zip [--as-of 2026-06-30]", "build the signed evidence pack for auditors as of the end of a day (default yesterday)", cmdEvidencePack},
		{"evidence verify", "FILE.zip [--key KEY]", "check an evidence pack's signature and every file's SHA-256; exit 1 naming the file that changed", cmdEvidenceVerify},
		{"log verify", "URL [--checkpoint FILE] [--save FILE] [--key KEY]", "check a Steward site's transparency log over HTTP, with no database: every public version is in it unchanged, and it only grew since a saved checkpoint", cmdLogVerify},
		{"retention run", "[--dry-run] [--now 2028-01-01T00:00:00Z] [--mail-days 90]", "pseudonymise and purge personal data past its retention period", cmdRetentionRun},
	}
}

// env is what every command shares: configuration, output, the clock and,
// once opened, the database.
type env struct {
	cfg    config.Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	now    func() time.Time
	db     *db.DB
	help   bool // only printing a command's help: nothing may run
}

// open connects to the database and applies migrations.
func (e *env) open(ctx context.Context) (*db.DB, error) {
	if e.db != nil {
		return e.db, nil
	}
	if e.help {
		return nil, errors.New("the database is not opened to show help")
	}
	d, err := db.Open(e.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	e.db = d
	return d, nil
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct {
	msg   string
	shown bool // already printed, with the flags, by the flag package
}

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{msg: fmt.Sprintf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with their own environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWithClock(ctx, args, getenv, stdin, stdout, stderr, func() time.Time { return time.Now().UTC() })
}

// runWithClock is run with the real time read from clock: tests move it to
// act on a future day, which --now alone may not (see parseNow).
func runWithClock(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, clock func() time.Time) int {
	help := len(args) > 1 && args[0] == "help"
	if help {
		// "steward help user add" is "steward user add --help".
		args = args[1:]
	}
	if len(args) == 0 || isHelpFlag(args[0]) || args[0] == "help" {
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest, ok := find(args)
	if ok && (help || wantsHelp(rest)) {
		return commandHelp(ctx, cmd, stdout)
	}
	if ok && cmd.name == "version" && len(rest) == 0 {
		// Before the environment is read: it answers on any machine.
		if err := printVersion(stdout); err != nil {
			fmt.Fprintf(stderr, "steward version: %v\n", err)
			return 1
		}
		return 0
	}
	if !ok {
		fmt.Fprintf(stderr, "steward: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printHelp(stderr)
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "steward: %v\n", err)
		return 2
	}
	e := &env{
		cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(logfmt.New(stderr, slog.LevelInfo)),
		now: clock,
	}
	defer func() {
		if e.db != nil {
			e.db.Close()
		}
	}()
	err = cmd.run(ctx, e, rest)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.Is(err, flag.ErrHelp):
		if !errors.Is(err, flag.ErrHelp) && !ue.shown {
			fmt.Fprintf(stderr, "steward %s: %v\nusage: steward %s %s\n", cmd.name, err, cmd.name, cmd.args)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "steward %s: %v\n", cmd.name, err)
		return 1
	}
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// wantsHelp reports whether a command's arguments ask for its help, before
// any "--" that ends the flags.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// commandHelp prints cmd's usage and flags to w without reading the
// environment, so help works even where the configuration is wrong. The
// command runs with only --help, which its flag parsing (always its first
// step) answers by printing its usage; flag defaults that come from the
// configuration show its built-in defaults.
func commandHelp(ctx context.Context, cmd command, w io.Writer) int {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		fmt.Fprintf(w, "steward %s: %v\n", cmd.name, err)
		return 1
	}
	e := &env{cfg: cfg, stdin: strings.NewReader(""), stdout: w, stderr: w, help: true,
		log: slog.New(slog.DiscardHandler), now: func() time.Time { return time.Now().UTC() }}
	if err := cmd.run(ctx, e, []string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(w, "steward %s: --help: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

// find picks the command named by the first one or two arguments.
func find(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Steward publishes privacy policies and trains staff to handle customer data responsibly.")
	fmt.Fprintln(w, "\nUsage: steward COMMAND [flags]\n\nCommands:")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, `
Configuration comes from the environment:
  STEWARD_DATABASE_URL   SQLite file (default steward.db) or postgres://...
  STEWARD_ADDR or PORT   listen address (default 127.0.0.1:8080)
  STEWARD_BASE_URL       public URL, used in emails and for Secure cookies
  STEWARD_SESSION_KEYS   comma-separated hex keys, newest first; unset: a random key
                         generated on first start and kept in the database
  STEWARD_TRUSTED_PROXIES  reverse proxies (addresses or CIDRs) whose X-Forwarded-For
                         is believed
  STEWARD_ENV            development (default) or production
  STEWARD_SMTP_URL       smtp://user:pass@host:port or smtps://...; options starttls=
                         mandatory|opportunistic|none and timeout=10s; empty keeps
                         mail in the outbox
  STEWARD_MAIL_FROM      sender address, like "Steward <steward@example.com>"
  STEWARD_SWEEP_HOUR     hour (UTC) of the daily reminder sweep (default 6)
  STEWARD_RETENTION_DAYS days before leavers are pseudonymised (default 365)
  STEWARD_MAIL_RETENTION_DAYS  days before sent email text is deleted (default 90)
  STEWARD_MIN_GROUP_SIZE smallest group shown in organisation aggregates (default 5)
  STEWARD_INVITE_DAYS  days an invitation link works (1 to 30, default 7)
  STEWARD_SUBPROCESSOR_NOTICE_DAYS  notice before a subprocessor register change takes effect (default 30)
  STEWARD_POLICY_NOTICE_DAYS  notice before a material change to a public policy takes effect (default 30)
  STEWARD_METRICS_TOKEN / STEWARD_METRICS_ADDR  bearer token (32+ chars) for /metrics / its own listener; neither: no /metrics
  STEWARD_EMBED_ORIGINS  comma-separated https origins that may frame /policies/SLUG/embed
  STEWARD_OIDC_ISSUER, STEWARD_OIDC_CLIENT_ID, STEWARD_OIDC_CLIENT_SECRET  single sign-on with an
                         OpenID provider (its discovery document is read at start)
  STEWARD_OIDC_DOMAINS   email domains whose people may sign in with it (required with it)
  STEWARD_OIDC_NAME      the button says "Sign in with NAME" (default: the issuer's host)
  STEWARD_OIDC_GROUPS_CLAIM  the claim that lists groups (default groups)
  STEWARD_OIDC_ROLE_MAP  group:role,...: roles from groups at each sign-in, first match wins
  STEWARD_OIDC_CREATE_USERS  true: unknown people get an account at first sign-in (default false)
  STEWARD_PASSWORD_SIGNIN=off and STEWARD_BREAK_GLASS=email,...  password sign-in only for
                         these admins
  STEWARD_LOG_KEY_FILE   the key that signs the transparency log and audit checkpoints
                         (default: beside the SQLite file as FILE.log-key, or ./steward-log.key);
                         made on first start, back it up with the database
  STEWARD_PEOPLE_SOURCE  steward (default: admins and the roster import) or scim
                         (the company directory through /scim/v2)
  STEWARD_ORG_NAME, _CONTACT, _ACCENT, _FOOTER_LINKS, _POWERED_BY  branding customers see;
  STEWARD_ORG_PRIVACY_CONTACT, _DPO, _EU_REPRESENTATIVE, _UK_REPRESENTATIVE,
  _TRANSFER_MECHANISM, _BREACH_CONTACT, _PROCESSOR_NOTICE, _COMPLAINTS  company facts
                         ({{org.KEY}} in courses and policies); each one set wins over
                         Organisation settings (docs/organisation.md)

Run "steward COMMAND --help" (or "steward help COMMAND") for a command's arguments and flags.`)
}

// flagSet is a command's flags; a bad flag is a usage error (exit code 2).
type flagSet struct{ *flag.FlagSet }

// flags returns the FlagSet of a command.
func flags(e *env, name string) flagSet {
	fs := flag.NewFlagSet("steward "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { printCommandUsage(fs, name) }
	return flagSet{fs}
}

// printCommandUsage prints what "steward NAME --help" shows: the command
// line with its arguments, what it does, and its flags.
func printCommandUsage(fs *flag.FlagSet, name string) {
	w := fs.Output()
	for _, c := range commands() {
		if c.name == name {
			fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.TrimSpace("steward "+c.name+" "+c.args), capitalised(c.summary))
		}
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintln(w, "\nThis command has no flags.")
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}

func capitalised(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Parse parses args, turning the flag package's errors into usage errors.
func (f flagSet) Parse(args []string) error {
	err := f.FlagSet.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{msg: err.Error(), shown: true}
}

// audited records an operator's action at the command line in the audit log.
func audited(ctx context.Context, e *env, action, target, detail string) error {
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	return d.Tx(ctx, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.CLI.Entry(e.now(), action, target, detail))
	})
}

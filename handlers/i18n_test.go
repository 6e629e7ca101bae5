package handlers

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"steward/internal/i18n"
	"steward/views"
)

// messageID is a message id as templates and handlers name it:
// "policy.version", "subscribe.check_message".
var (
	templateMsg = regexp.MustCompile(`\(?\bt \S+ (?:\(or \(and \S+ "([a-z]+\.[a-z0-9_.]+)"\) )?"([a-z]+\.[a-z0-9_.]+)"`)
	printfMsg   = regexp.MustCompile(`printf "([a-z]+)\.%s"`)
	goMsg       = regexp.MustCompile(`\.T\([^,()]+, "([a-z]+\.[a-z0-9_.]+)"`)
)

// dynamicIDs are the ids a template builds with printf, by prefix: the
// values the domain gives them.
var dynamicIDs = map[string][]string{
	"change":  {"material", "minor"},
	"kind":    {"material", "minor"},
	"section": {"added", "removed", "changed"},
}

// usedMessageIDs lists every message id the public pages' templates, the
// emails' templates and the Go code of handlers and policies name.
func usedMessageIDs(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	add := func(where string, text string, res ...*regexp.Regexp) {
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				for _, id := range m[1:] {
					if id != "" {
						used[id] = append(used[id], where)
					}
				}
			}
		}
		for _, m := range printfMsg.FindAllStringSubmatch(text, -1) {
			vals, ok := dynamicIDs[m[1]]
			if !ok {
				t.Errorf("%s builds message ids %s.%%s: list their values in dynamicIDs", where, m[1])
			}
			for _, v := range vals {
				used[m[1]+"."+v] = append(used[m[1]+"."+v], where)
			}
		}
	}
	err := fs.WalkDir(views.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := fs.ReadFile(views.FS, path)
		add("views/"+path, string(b), templateMsg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, glob := range []string{"../internal/mail/templates/*.tmpl", "*.go", "../policies/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			add(f, string(b), templateMsg, goMsg)
		}
	}
	return used
}

// TestEveryMessageExistsInEveryLanguage fails on a message a template or
// handler names that a catalogue lacks, and on a catalogue that has
// messages another lacks: every language of the interface is complete.
func TestEveryMessageExistsInEveryLanguage(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	langs := cat.Languages()
	if len(langs) < 2 || langs[0] != "en" {
		t.Fatalf("languages = %v, want English first and at least one more", langs)
	}
	used := usedMessageIDs(t)
	if len(used) < 100 {
		t.Fatalf("found only %d message ids in use: the scan is broken", len(used))
	}
	// The emails the public receives are scanned too: their layout's
	// footer and each kind's subject.
	for id, tmpl := range map[string]string{"mail.sent_by": "layout.tmpl", "mail.confirm.subject": "subscribe_confirm.tmpl",
		"mail.notice.subject": "policy_notice.tmpl", "mail.subprocessors.subject": "subprocessor_notice.tmpl"} {
		if w := used[id]; len(w) == 0 || !strings.HasSuffix(w[0], tmpl) {
			t.Errorf("the scan did not find %s in the mail template %s (found in %v)", id, tmpl, w)
		}
	}
	for _, lang := range langs {
		have := cat.IDs(lang)
		var missing []string
		for id, where := range used {
			if !have[id] {
				missing = append(missing, id+" (used in "+where[0]+")")
			}
		}
		for id := range cat.IDs("en") {
			if !have[id] {
				missing = append(missing, id+" (in the English catalogue)")
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Errorf("catalogue %s has no message %s", lang, m)
		}
	}
}

// TestMissingMessageIsCaught shows the check above would fail: a page or
// email template naming a message no catalogue has is found.
func TestMissingMessageIsCaught(t *testing.T) {
	ids := map[string]bool{}
	for _, m := range templateMsg.FindAllStringSubmatch(`<p>{{t $l "policy.no_such_message" "N" 3}}</p>`+
		`{{define "subject"}}{{$l := lang .}}{{t $l "mail.no_such_message" "Brand" (brand).Name}}{{end}}`, -1) {
		ids[m[2]] = true
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	if !ids["policy.no_such_message"] || !ids["mail.no_such_message"] || cat.IDs("de")["policy.no_such_message"] {
		t.Fatalf("the scan found %v", ids)
	}
}

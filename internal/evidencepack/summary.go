package evidencepack

import (
	"bytes"
	"html/template"
	"sort"
	"time"
)

// summaryPage answers an auditor's usual questions from the same rows as
// requirements.csv.
var summaryPage = template.Must(template.New("summary").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence pack as of {{.Day}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; color: #1c2430; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d6dd; }
td.num, th.num { text-align: right; } .wrap { overflow-x: auto; }
</style>
</head>
<body>
<main>
<h1>Training and acknowledgement evidence as of {{.Day}}</h1>
<p>Made by {{.By}} at {{.At}} from the records of {{.Origin}}. Every figure here is counted from <a href="requirements.csv">requirements.csv</a>; every file of the pack is listed with its SHA-256 in manifest.json, which is signed. Open <a href="verify.html">verify.html</a> to check the signature and every file, offline.</p>

<h2>Who must take what, and how often</h2>
<p>{{.People}} people had at least one requirement on the day (see <a href="roster.csv">roster.csv</a> for everyone employed then). The rules (audiences, due dates, how long a completion lasts, pass marks) are in <a href="rules.json">rules.json</a>; the course content and its questions in <a href="courses/">courses/</a>; the policy versions in <a href="policies/">policies/</a>.</p>
{{if .InEffect}}<p>Policies in effect on the day:</p>
<ul>{{range .InEffect}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2>Who completed, who did not</h2>
<div class="wrap">
<table>
<caption>People per requirement and status on the day</caption>
<thead><tr><th scope="col">Requirement</th>{{range .Statuses}}<th scope="col" class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row">{{.Name}}</th>{{range .Counts}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</div>
<p>Each person and requirement, with dates and scores, is a row of requirements.csv; people who had not completed are there too, with their status (overdue, lapsed, not started, pending).</p>

<h2>What happened then</h2>
<p><a href="reminders.csv">reminders.csv</a> lists every reminder and escalation sent up to the day (to whom, about whom, at which stage); <a href="exemptions.csv">exemptions.csv</a> every exemption standing, with its reason and who approved it. Publications, exemptions granted and lifted, and every change an admin made are entries of the audit trail: <a href="audit/entries.csv">audit/entries.csv</a> holds its {{.AuditEntries}} entries up to the day. <a href="audit/checkpoint.txt">audit/checkpoint.txt</a> is the trail's head when the pack was made, signed with the installation's log key: <code>steward audit verify --checkpoint</code> proves the trail has not been cut short or rewritten since.</p>

<h2>What management sees</h2>
<p>Managers see the same statuses for their reporting line, and admins and auditors for the whole organisation, in Steward's reports; this pack is that report frozen for the day.</p>

<h2>Which controls this evidences</h2>
<p><a href="controls.json">controls.json</a> maps SOC 2 CC1.4 and CC2.2, ISO/IEC 27001:2022 A.6.3, GDPR Art. 39(1)(b), HIPAA 164.308(a)(5)(i), NIST CSF 2.0 PR.AT-01 and CIS Controls v8 14 to the files above.</p>
</main>
</body>
</html>
`))

type summaryRow struct {
	Name   string
	Counts []int
}

func summaryHTML(origin, day string, r Request, c counts, inEffect []string, auditEntries int) []byte {
	statusSet := map[string]bool{}
	for _, st := range c.Requirements {
		for s := range st {
			statusSet[s] = true
		}
	}
	var statuses []string
	for s := range statusSet {
		statuses = append(statuses, s)
	}
	sort.Strings(statuses)
	var names []string
	for n := range c.Requirements {
		names = append(names, n)
	}
	sort.Strings(names)
	var table []summaryRow
	for _, n := range names {
		row := summaryRow{Name: n}
		for _, s := range statuses {
			row.Counts = append(row.Counts, c.Requirements[n][s])
		}
		table = append(table, row)
	}
	var buf bytes.Buffer
	_ = summaryPage.Execute(&buf, map[string]any{
		"Day": day, "By": r.GeneratedBy, "At": r.GeneratedAt.UTC().Format(time.RFC3339), "Origin": origin,
		"People": c.People, "InEffect": inEffect, "Statuses": statuses, "Rows": table, "AuditEntries": auditEntries,
	})
	return buf.Bytes()
}

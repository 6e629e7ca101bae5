package policies

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// checkFields are the fields of one question in a policy file's check.
var checkFields = map[string]bool{"section": true, "question": true, "choices": true, "answer": true, "explanation": true}

// fmCheck reads a policy file's check: a list of questions, each with
// section, question, choices, answer (the number of the right choice,
// from 1) and an optional explanation. Problems are named check.qN.FIELD.
func fmCheck(raw map[string]any, fe *FileError) []QuestionInput {
	v, ok := raw["check"]
	if !ok || v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		fe.add("check", "must be a list of questions, each starting with \"- section: \"")
		return nil
	}
	if len(items) > MaxQuestions {
		fe.add("check", fmt.Sprintf("a check asks at most %d questions", MaxQuestions))
		return nil
	}
	out := make([]QuestionInput, 0, len(items))
	for i, it := range items {
		name := "check.q" + strconv.Itoa(i+1)
		m, ok := it.(map[string]any)
		if !ok {
			fe.add(name, "must be a question with section, question, choices and answer")
			continue
		}
		sub := &FileError{}
		for k := range m {
			if !checkFields[k] {
				sub.add(k, "unknown field (known: section, question, choices, answer, explanation)")
			}
		}
		q := QuestionInput{
			Section: fmString(m, "section", sub), Prompt: fmString(m, "question", sub),
			Choices: fmStrings(m, "choices", sub), Explanation: fmString(m, "explanation", sub),
		}
		q.Correct = fmInt(m, "answer", sub) - 1
		if _, given := m["answer"]; !given {
			sub.add("answer", "is required: the number of the right choice, from 1")
		}
		for k, msg := range sub.Fields {
			fe.add(name+"."+k, msg)
		}
		out = append(out, q)
	}
	return out
}

// checkFileErrors adds the problems of a file's check to fe, named as
// the file names them.
func checkFileErrors(f File, fe *FileError) {
	if len(f.Check) == 0 {
		return
	}
	if f.Change != Material {
		fe.add("check", "questions go with a material change (change: material)")
		return
	}
	if f.Given["audience"] && f.Settings.Audience != Staff || f.Given["acknowledge"] && !f.Settings.RequiresAck {
		fe.add("check", "only a staff policy that people acknowledge can ask questions")
		return
	}
	if err := ValidateCheck(f.Check, f.Body); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for k, m := range ve.Fields {
				if k == "questions" {
					fe.add("check", m)
					continue
				}
				if q, ok := strings.CutSuffix(k, ".prompt"); ok {
					k = q + ".question"
				} else if q, ok := strings.CutSuffix(k, ".correct"); ok {
					k = q + ".answer"
				}
				fe.add("check."+k, m)
			}
		}
	}
}

// fileQuestion is a question as a policy file writes it.
type fileQuestion struct {
	Section     string   `yaml:"section"`
	Question    string   `yaml:"question"`
	Choices     []string `yaml:"choices"`
	Answer      int      `yaml:"answer"`
	Explanation string   `yaml:"explanation,omitempty"`
}

func fileQuestions(qs []Question) []fileQuestion {
	out := make([]fileQuestion, len(qs))
	for i, q := range qs {
		out[i] = fileQuestion{Section: q.Section, Question: q.Prompt, Choices: q.Choices, Answer: q.Correct + 1, Explanation: q.Explanation}
	}
	return out
}

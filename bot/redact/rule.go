package redact

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// pass compiles the rule.
func (rule Rule) pass() (pass, error) {
	parsed, err := syntax.Parse(rule.Pattern, syntax.Perl)
	if err != nil {
		return pass{}, fmt.Errorf("pattern: %w", err)
	}
	if canMatchEmpty(parsed.Simplify()) {
		return pass{}, errors.New("pattern can match the empty string")
	}
	re, err := regexp.Compile(rule.Pattern)
	if err != nil {
		return pass{}, fmt.Errorf("pattern: %w", err)
	}
	replacement := rule.Replacement
	if replacement == "" {
		replacement = "[" + rule.Name + " removed]"
	}
	return pass{
		name:        fmt.Sprintf("rule %q", rule.Name),
		replacement: replacement,
		find:        func(s string) []span { return findPattern(s, re, nil) },
	}, nil
}

// canMatchEmpty reports whether re can match an empty piece of some text. It counts every empty-width assertion
// (^, $, \b, \B, \A, \z) as satisfiable, so it also refuses patterns such as `\b` or `(?m)^$` that match the empty
// string only in some places: a rule that removes nothing between two characters is a mistake wherever it fires.
func canMatchEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCapture, syntax.OpPlus:
		return canMatchEmpty(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || canMatchEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !canMatchEmpty(sub) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if canMatchEmpty(sub) {
				return true
			}
		}
		return false
	default: // OpNoMatch, OpCharClass, OpAnyChar, OpAnyCharNotNL: always a character, or nothing at all
		return false
	}
}

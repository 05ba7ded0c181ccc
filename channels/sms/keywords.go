package sms

import "strings"

// keyword is what a message that is only a keyword asks for.
type keyword int

const (
	noKeyword keyword = iota
	optOut
	optIn
	help
)

// keywords are Twilio's default opt-out, opt-in and help keywords (the FCC's 2025 rules added OPTOUT and REVOKE).
var keywords = map[string]keyword{
	"STOP": optOut, "STOPALL": optOut, "UNSUBSCRIBE": optOut, "CANCEL": optOut, "END": optOut, "QUIT": optOut,
	"OPTOUT": optOut, "REVOKE": optOut,
	"START": optIn, "YES": optIn, "UNSTOP": optIn,
	"HELP": help, "INFO": help,
}

// classify returns the keyword a message body is, as Twilio matches them: the whole body, any case, white space
// and trailing punctuation ignored ("Stop", " stop. "). A keyword within a sentence ("please don't stop") is none.
// optOutType is Twilio's OptOutType parameter (sent when Advanced Opt-Out handled the message), which wins.
func classify(body, optOutType string) keyword {
	switch strings.ToUpper(strings.TrimSpace(optOutType)) {
	case "STOP":
		return optOut
	case "START":
		return optIn
	case "HELP":
		return help
	}
	w := strings.TrimRight(strings.TrimSpace(body), ".!?,;: \t\r\n")
	if len(w) > len("UNSUBSCRIBE") {
		return noKeyword
	}
	return keywords[strings.ToUpper(w)]
}

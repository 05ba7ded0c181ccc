package routing

import (
	"fmt"
	"time"
)

// Waiting is what Promise knows of the customer.
type Waiting struct {
	Channel    string        // "web", "slack" or "sms"
	Position   int           // 1 is next; 0 unknown
	Wait       time.Duration // from ExpectedWait; 0 unknown
	HasContact bool          // an email or phone number is known
}

// Notice is what the customer is told after a hand-off.
type Notice struct {
	Text        string
	Open        bool      // the team works now
	Back        time.Time // when it opens, when !Open (zero if never within a year)
	NeedContact bool      // ask for an email or phone: closed, on web chat, none known
}

// Promise tells the customer what happens next: their place and wait while team is open, otherwise when the team
// is back and where they will hear from it.
func Promise(team Team, now time.Time, w Waiting) Notice {
	if Open(team, now) {
		text := "You're in line for our team"
		if w.Position == 1 {
			text = "You're next in line"
		} else if w.Position > 1 {
			text = fmt.Sprintf("You're number %d in line", w.Position)
		}
		switch m := int((w.Wait + time.Minute - 1) / time.Minute); {
		case w.Wait <= 0:
			text += "; someone will be with you as soon as possible."
		case m == 1:
			text += "; the expected wait is about 1 minute."
		default:
			text += fmt.Sprintf("; the expected wait is about %d minutes.", m)
		}
		return Notice{Text: text, Open: true}
	}
	n := Notice{NeedContact: w.Channel == "web" && !w.HasContact}
	back, ok := NextOpen(team, now)
	text := "Our team is away right now"
	if ok {
		n.Back = back
		s, _ := team.schedule()
		l, ln := back.In(s.loc), now.In(s.loc)
		label := team.Label
		if label == "" {
			label = l.Format("MST")
		}
		day := "on " + l.Weekday().String()
		switch days := dayNumber(l) - dayNumber(ln); {
		case days == 0:
			day = "today"
		case days == 1:
			day = "tomorrow"
		case days >= 7:
			day = "on " + l.Format("Monday, January 2")
		}
		text = fmt.Sprintf("Our team is back %s at %d:%02d (%s)", day, l.Hour(), l.Minute(), label)
	}
	switch {
	case w.Channel == "sms":
		text += "; we'll reply here on SMS."
	case w.Channel == "slack":
		text += "; we'll reply here in Slack."
	case n.NeedContact:
		text += ". Leave your email or phone number and we'll get back to you."
	default:
		text += "; we'll reply here and by email or text."
	}
	n.Text = text
	return n
}

func dayNumber(t time.Time) int {
	return int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

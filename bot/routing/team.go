package routing

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Team is a group of agents as configured under handoff.teams; Validate checks a list of them.
type Team struct {
	Name     string        `yaml:"name"`
	Skills   []string      `yaml:"skills"`     // stages, intents, languages and "vip" the team serves
	Default  bool          `yaml:"default"`    // takes what no team's skills match
	TimeZone string        `yaml:"time_zone"`  // IANA name, e.g. "America/Toronto"
	Label    string        `yaml:"zone_label"` // how customers hear the zone ("Eastern"); default its abbreviation
	Hours    []string      `yaml:"hours"`      // e.g. "Mon-Fri 09:00-17:00"; none: always open
	Holidays []string      `yaml:"holidays"`   // closed days, "2006-01-02", in TimeZone
	SLA      time.Duration `yaml:"sla"`        // longest wait before Fallback; 0 none
	Fallback Fallback      `yaml:"fallback"`   // bot or follow_up
	// SlackChannel is the Slack channel id where the team's hand-offs are posted as agent threads; "" none.
	SlackChannel string `yaml:"slack_channel"`
}

var days = map[string]time.Weekday{"Sun": 0, "Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6}

type window struct {
	day         time.Weekday
	open, close int // minutes after midnight, open < close <= 1440
}

// parseHours parses "Mon-Fri 09:00-17:00" (a day, a day range that may wrap, or a comma list of them; then
// HH:MM-HH:MM with close after open, 24:00 allowed) strictly.
func parseHours(s string) ([]window, error) {
	dayPart, timePart, ok := strings.Cut(s, " ")
	if !ok {
		return nil, fmt.Errorf("want \"Mon-Fri 09:00-17:00\"")
	}
	o, c, ok := strings.Cut(timePart, "-")
	if !ok {
		return nil, fmt.Errorf("bad time range %q", timePart)
	}
	open, err := parseClock(o)
	if err != nil {
		return nil, err
	}
	closeM, err := parseClock(c)
	if err != nil {
		return nil, err
	}
	if closeM <= open {
		return nil, fmt.Errorf("close %s is not after open %s", c, o)
	}
	var ws []window
	for part := range strings.SplitSeq(dayPart, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := days[a]
		to, ok2 := days[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("unknown day in %q", part)
		}
		for d := from; ; d = (d + 1) % 7 {
			ws = append(ws, window{d, open, closeM})
			if d == to {
				break
			}
		}
	}
	return ws, nil
}

func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("bad time %q, want HH:MM", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[3] == '+' || s[3] == '-' ||
		h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q, want HH:MM", s)
	}
	return h*60 + m, nil
}

// schedule is a team's parsed hours.
type schedule struct {
	loc      *time.Location
	windows  []window
	holidays map[string]bool
}

func (t Team) schedule() (schedule, error) {
	var errs []error
	s := schedule{loc: time.UTC, holidays: map[string]bool{}}
	if t.TimeZone != "" {
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil {
			errs = append(errs, fmt.Errorf("unknown time_zone %q", t.TimeZone))
		} else {
			s.loc = loc
		}
	} else if len(t.Hours)+len(t.Holidays) > 0 {
		errs = append(errs, errors.New("time_zone is required with hours or holidays"))
	}
	for _, h := range t.Hours {
		ws, err := parseHours(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("hours %q: %w", h, err))
		}
		s.windows = append(s.windows, ws...)
	}
	slices.SortFunc(s.windows, func(a, b window) int { return int(a.day)*1440 + a.open - int(b.day)*1440 - b.open })
	for i := 1; i < len(s.windows); i++ {
		if p, w := s.windows[i-1], s.windows[i]; p.day == w.day && w.open < p.close {
			errs = append(errs, fmt.Errorf("hours overlap on %s", w.day))
		}
	}
	for _, d := range t.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			errs = append(errs, fmt.Errorf("holiday %q: want YYYY-MM-DD", d))
		}
		s.holidays[d] = true
	}
	return s, errors.Join(errs...)
}

// Validate checks teams: names unique and set, time zones known, hours strictly formed and not overlapping,
// holidays dates, fallbacks known, at most one default. Its error names every bad item.
func Validate(teams []Team) error {
	var errs []error
	seen, defaults := map[string]bool{}, 0
	for i, t := range teams {
		name := fmt.Sprintf("team %d %q", i, t.Name)
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is required", name))
		} else if seen[t.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate team", name))
		}
		seen[t.Name] = true
		if t.Default {
			defaults++
		}
		if _, err := t.schedule(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		if t.Fallback != FallbackBot && t.Fallback != FallbackFollowUp {
			errs = append(errs, fmt.Errorf("%s: fallback %q, want bot or follow_up", name, t.Fallback))
		}
		if t.SLA < 0 {
			errs = append(errs, fmt.Errorf("%s: negative sla", name))
		}
	}
	if defaults > 1 {
		errs = append(errs, errors.New("more than one default team"))
	}
	return errors.Join(errs...)
}

func (s schedule) open(t time.Time) bool {
	l := t.In(s.loc)
	if s.holidays[l.Format(time.DateOnly)] {
		return false
	}
	if len(s.windows) == 0 {
		return true
	}
	m := l.Hour()*60 + l.Minute()
	for _, w := range s.windows {
		if w.day == l.Weekday() && w.open <= m && m < w.close {
			return true
		}
	}
	return false
}

// Open reports whether team works at t (wall clock in its time zone, so DST-correct). A team that fails
// Validate is never open.
func Open(team Team, t time.Time) bool {
	s, err := team.schedule()
	return err == nil && s.open(t)
}

// NextOpen returns t when team is open at t, else the next time it opens within a year; ok is false when it
// does not (or team fails Validate).
func NextOpen(team Team, t time.Time) (time.Time, bool) {
	s, err := team.schedule()
	if err != nil {
		return time.Time{}, false
	}
	if s.open(t) {
		return t, true
	}
	l := t.In(s.loc)
	for d := 0; d <= 370; d++ {
		day := time.Date(l.Year(), l.Month(), l.Day()+d, 12, 0, 0, 0, s.loc)
		if s.holidays[day.Format(time.DateOnly)] {
			continue
		}
		for _, w := range s.windows {
			if w.day != day.Weekday() {
				continue
			}
			c := time.Date(day.Year(), day.Month(), day.Day(), w.open/60, w.open%60, 0, 0, s.loc)
			if c.After(t) {
				return c, true
			}
		}
	}
	return time.Time{}, false
}

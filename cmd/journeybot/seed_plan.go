package main

// The seed's plan: who each customer is, which journey they take and when, on which channels they talk, and what
// happens in each conversation. Every random choice is drawn here, from a source seeded with the seed and the
// customer's number, so that the plan does not depend on the order the scheduler runs it in; the steps it returns
// read at run time only what the store assigns (ids, the stage the journey's events led to).

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// seedUserID is the company's user id of the i-th seeded customer; the first one marks a seeded database.
func seedUserID(i int) string { return fmt.Sprintf("hl-%06d", 100001+i) }

// seedPerson is one seeded customer: fixed by the plan, but for custID, which the store assigns.
type seedPerson struct {
	idx                         int
	userID, name, email, phone  string
	visitor, slackUser, slackDM string
	custID                      string
	deviates                    bool
	talkedOn                    map[string]bool // the channels of the conversations opened so far
	twoCounted                  bool
}

// seedPlanner draws one customer's plan.
type seedPlanner struct {
	s      *seeder
	rng    *rand.Rand
	p      *seedPerson
	steps  []seedStep
	ops    []func(ctx context.Context) error // the shared block being written
	opsAt  time.Time
	linked map[string]bool // the channels whose identity has joined the customer, in the plan
	convs  int
	keys   int // business events planned, for their idempotency keys
}

// plan returns the i-th customer's script.
func (s *seeder) plan(seed uint64, i int) *seedScript {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	first, last := seedFirstNames[rng.IntN(len(seedFirstNames))], seedLastNames[rng.IntN(len(seedLastNames))]
	p := &seedPerson{idx: i, userID: seedUserID(i), name: first + " " + last,
		email: fmt.Sprintf("%s.%s.%d@%s", asciiLower(first), asciiLower(last), 100001+i,
			seedEmailDomains[rng.IntN(len(seedEmailDomains))]),
		visitor:   fmt.Sprintf("v-%016x", rng.Uint64()),
		slackUser: fmt.Sprintf("T0HEARTHLY:U%09X", rng.Uint64()>>28),
		slackDM:   fmt.Sprintf("D%09X", rng.Uint64()>>28),
	}
	if i < len(seedAreaCodes)*100 {
		p.phone = fmt.Sprintf("+1%s55501%02d", seedAreaCodes[i/100], i%100)
	}
	j := pickJourney(rng)
	p.deviates = j.deviates
	pl := &seedPlanner{s: s, rng: rng, p: p, linked: map[string]bool{}}

	// The channels they talk on: most on one, many on two.
	chans := []string{journeystate.ChannelWeb}
	switch r := rng.Float64(); {
	case r < 0.2 && p.phone != "":
		chans[0] = journeystate.ChannelSMS
	case r < 0.35:
		chans[0] = journeystate.ChannelSlack
	}
	if rng.Float64() < 0.6 {
		other := []string{journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS}[rng.IntN(3)]
		if other != chans[0] && (other != journeystate.ChannelSMS || p.phone != "") {
			chans = append(chans, other)
		}
	}

	// When each beat happens: journeys start anywhere in the window and may still be under way now. One customer
	// in a hundred is talking to us right now, so that the queue and the agents' lists are not empty.
	live := i%100 == 42
	beats := make([]beat, 0, len(j.beats)+1)
	for _, b := range j.beats {
		if b.kind == beatChat && len(chans) > 1 {
			b.p = max(b.p, 0.8) // who talks on two channels talks more
		}
		if b.p == 0 || rng.Float64() < b.p {
			beats = append(beats, b)
		}
	}
	if live {
		beats = append(beats, chat([]string{"troubleshooting", "installation_help", "order_status"}[rng.IntN(3)], 1, 2*day))
	}
	offsets := make([]time.Duration, len(beats))
	var at, lastChat time.Duration = 0, -day
	for k, b := range beats {
		at += time.Duration(float64(b.gap) * (0.3 + 1.4*rng.Float64()))
		if b.kind == beatChat && at < lastChat+3*hr {
			at = lastChat + 3*hr // one conversation is over before the next starts
		}
		if b.kind == beatChat {
			lastChat = at
		}
		offsets[k] = at
	}
	window := time.Duration(s.days) * day
	start := s.now.Add(-window + time.Duration(rng.Float64()*float64(window-hr)))
	if live {
		start = s.now.Add(-offsets[len(offsets)-1] - time.Duration(5+rng.IntN(60))*time.Minute)
	}

	pl.signUp(start.Add(-10 * time.Minute))
	chatsOn := 0
	for k, b := range beats {
		t := start.Add(offsets[k])
		next := t.Add(30 * day) // when the next conversation starts: this one closes before
		for m := k + 1; m < len(beats); m++ {
			if beats[m].kind == beatChat {
				next = start.Add(offsets[m])
				break
			}
		}
		switch b.kind {
		case beatEvent:
			pl.event(t, b.name)
		case beatMove:
			pl.move(t, b.name)
		case beatChat:
			// The second conversation is on the second channel, so that their journey spans both.
			ch := chans[0]
			if len(chans) > 1 && (chatsOn == 1 || rng.Float64() < 0.3) {
				ch = chans[1]
			}
			chatsOn++
			pl.chat(t, next, ch, b.name, live && k == len(beats)-1)
		}
	}
	pl.flush()
	steps := pl.steps[:0]
	for _, st := range pl.steps {
		if !st.at.After(s.now) {
			steps = append(steps, st)
		}
	}
	return &seedScript{idx: i, steps: steps}
}

func pickJourney(rng *rand.Rand) *seedJourney {
	total := 0
	for _, j := range seedJourneys {
		total += j.weight
	}
	n := rng.IntN(total)
	for i := range seedJourneys {
		if n < seedJourneys[i].weight {
			return &seedJourneys[i]
		}
		n -= seedJourneys[i].weight
	}
	return &seedJourneys[0]
}

func asciiLower(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r-'A'+'a'))
		case r >= 'a' && r <= 'z':
			out = append(out, byte(r))
		case r == 'ô':
			out = append(out, 'o')
		case r == 'ü':
			out = append(out, 'u')
		}
	}
	return string(out)
}

// shared adds op to the shared block at at (a new block when none is open).
func (pl *seedPlanner) shared(at time.Time, op func(ctx context.Context) error) {
	if len(pl.ops) == 0 {
		pl.opsAt = at
	}
	pl.ops = append(pl.ops, op)
}

// flush ends the shared block being written.
func (pl *seedPlanner) flush() {
	if len(pl.ops) == 0 {
		return
	}
	ops := pl.ops
	pl.ops = nil
	pl.steps = append(pl.steps, seedStep{at: pl.opsAt, run: func(ctx context.Context) error {
		for _, op := range ops {
			if err := op(ctx); err != nil {
				return err
			}
		}
		return nil
	}})
}

// exclusive adds a step whose store stamps must be exact (see seed_sched.go).
func (pl *seedPlanner) exclusive(at time.Time, op func(ctx context.Context) error) {
	pl.flush()
	pl.steps = append(pl.steps, seedStep{at: at, exclusive: true, run: op})
}

// signUp makes the customer as the company's systems know them: their user id, with a verified email and phone.
func (pl *seedPlanner) signUp(at time.Time) {
	s, p := pl.s, pl.p
	pl.shared(at, func(ctx context.Context) error {
		c, err := s.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.IdentityUser,
			ExternalID: p.userID, Level: journeystate.LevelVerified,
			Profile: journeystate.Profile{Name: p.name, Email: p.email, Phone: p.phone}})
		if err != nil {
			return fmt.Errorf("sign up %s: %w", p.userID, err)
		}
		claims := []journeystate.IdentityClaim{{Channel: journeystate.IdentityEmail, ExternalID: p.email,
			Level: journeystate.LevelVerified}}
		if p.phone != "" {
			claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityPhone, ExternalID: p.phone,
				Level: journeystate.LevelVerified})
		}
		res, err := s.store.Identify(ctx, c.ID, claims, "demo seed: account created")
		if err != nil {
			return fmt.Errorf("sign up %s: %w", p.userID, err)
		}
		p.custID = res.Customer.ID
		s.stats.customers.Add(1)
		return nil
	})
}

// event records a business event through the engine, which derives the stage from it.
func (pl *seedPlanner) event(at time.Time, name string) {
	s, p := pl.s, pl.p
	props := pl.properties(name)
	pl.keys++
	key := fmt.Sprintf("demo-seed:%s:%d", p.userID, pl.keys)
	pl.shared(at, func(ctx context.Context) error {
		res, err := s.engine.Track(ctx, bot.BusinessEvent{Name: name, Customer: bot.CustomerRef{UserID: p.userID},
			Properties: props, Time: at, Key: key, Source: "demo seed"})
		if err != nil {
			return err
		}
		if !res.Duplicate {
			s.stats.events.Add(1)
		}
		if res.StageChanged {
			s.stats.stageChanges.Add(1)
		}
		return nil
	})
}

// properties are a business event's properties, as a shop and a device cloud would send them.
func (pl *seedPlanner) properties(name string) map[string]any {
	switch name {
	case "page_viewed":
		return map[string]any{"path": []string{"/", "/products/thermostat", "/blog/heating-costs", "/compatibility"}[pl.rng.IntN(4)]}
	case "order_placed":
		items := []struct {
			name  string
			total int
		}{{"Starter Bundle", 229}, {"Hearthly Smart Thermostat", 169}, {"Room Sensor 2-pack", 79}}[pl.rng.IntN(3)]
		return map[string]any{"order_id": fmt.Sprintf("H-%d", 20000+pl.rng.IntN(80000)), "items": items.name, "total": items.total}
	case "order_delivered":
		return map[string]any{"carrier": []string{"UPS", "Canada Post", "FedEx"}[pl.rng.IntN(3)]}
	case "device_activated", "device_offline":
		return map[string]any{"device_type": "thermostat"}
	}
	return nil
}

// move is an agent moving the customer to a stage by hand, off the map's triggers.
func (pl *seedPlanner) move(at time.Time, stage string) {
	s, p := pl.s, pl.p
	pl.shared(at, func(ctx context.Context) error {
		c, err := s.store.Customer(ctx, p.custID)
		if err != nil {
			return err
		}
		_, changed, err := s.store.SetStage(ctx, p.custID, journeystate.StageChange{From: c.Stage, To: stage,
			Actor: journeystate.ActorAgent, Cause: "agent: the customer is shopping again", Time: at})
		if err != nil {
			return fmt.Errorf("move %s to %s: %w", p.userID, stage, err)
		}
		if changed {
			s.stats.stageChanges.Add(1)
		}
		return nil
	})
}

// link joins the customer's identity on channel to them: the channel's first message makes a customer of its
// own, whom a verified email (Slack's profile, the web widget's sign-in) or phone number (SMS) then merges in.
func (pl *seedPlanner) link(at time.Time, channel string) {
	if pl.linked[channel] {
		return
	}
	pl.linked[channel] = true
	s, p := pl.s, pl.p
	pl.shared(at, func(ctx context.Context) error {
		claim := journeystate.IdentityClaim{Channel: channel, Level: journeystate.LevelVerified}
		proof := journeystate.IdentityClaim{Channel: journeystate.IdentityEmail, ExternalID: p.email, Level: journeystate.LevelVerified}
		evidence := "demo seed: signed in on the web widget"
		switch channel {
		case journeystate.ChannelWeb:
			claim.ExternalID, claim.Level = p.visitor, journeystate.LevelAnonymous
		case journeystate.ChannelSlack:
			claim.ExternalID, claim.Profile = p.slackUser, journeystate.Profile{Name: p.name, Email: p.email}
			evidence = "demo seed: Slack profile email"
		case journeystate.ChannelSMS:
			claim.ExternalID, claim.Profile = p.phone, journeystate.Profile{Phone: p.phone}
			proof = journeystate.IdentityClaim{Channel: journeystate.IdentityPhone, ExternalID: p.phone, Level: journeystate.LevelVerified}
			evidence = "demo seed: SMS sender's number"
		}
		c, err := s.store.ResolveIdentity(ctx, claim)
		if err != nil {
			return fmt.Errorf("%s identity of %s: %w", channel, p.userID, err)
		}
		res, err := s.store.Identify(ctx, c.ID, []journeystate.IdentityClaim{proof}, evidence)
		if err != nil {
			return fmt.Errorf("link %s identity of %s: %w", channel, p.userID, err)
		}
		p.custID = res.Customer.ID
		s.stats.merges.Add(int64(len(res.Merges)))
		return nil
	})
}

// jitter returns a duration between lo and hi, uniformly.
func (pl *seedPlanner) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(pl.rng.Float64()*float64(hi-lo))
}

// logNormal returns a duration whose median is median, spread by sigma, within [lo, hi].
func (pl *seedPlanner) logNormal(median time.Duration, sigma float64, lo, hi time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*pl.rng.NormFloat64()))
	return min(max(d, lo), hi)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain maps and structs are marshalled
	}
	return b
}

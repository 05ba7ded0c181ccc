package main

// One seeded conversation: the customer's questions and the offline responder's cited answers, the intent detected
// (which may move the stage, as the engine's phrase rule does), and then either the bot's close for idleness
// (contained) or a hand-off with its packet, an agent's take after a queue wait, the agent's replies and a close
// with an outcome, or a hand back; a rating and tags afterwards for some.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/journeystate"
)

// seedConv is one seeded conversation while it is played.
type seedConv struct {
	p               *seedPerson
	num             int
	channel, thread string
	intent          string
	conv            journeystate.Conversation
	msgs            []journeystate.Message
	n               int
	agent           seedAgent // who took it, once someone did
}

// seedHandoff is a planned hand-off.
type seedHandoff struct {
	trigger, reason string
	urgency         journeystate.Urgency
	actor           journeystate.Actor
	confidence      float64
	pick            uint32 // which agent of the team takes it
}

// handoffChance is the share of conversations about each intent that end with a person.
var handoffChance = map[string]float64{"product_question": .05, "buying": .12, "order_status": .18,
	"installation_help": .25, "troubleshooting": .3, "return_or_warranty": .9, "cancel_subscription": .22}

// chat plans a conversation on channel about intent starting at t; next is when the customer's next conversation
// starts, before which this one is closed.
func (pl *seedPlanner) chat(t, next time.Time, channel, intent string, live bool) {
	s, p, rng := pl.s, pl.p, pl.rng
	topic := seedTopics[intent]
	pl.convs++
	c := &seedConv{p: p, num: pl.convs, channel: channel, intent: intent}
	switch channel {
	case journeystate.ChannelWeb:
		c.thread = p.visitor
	case journeystate.ChannelSMS:
		c.thread = p.phone
	default:
		c.thread = fmt.Sprintf("%s:%d.%06d", p.slackDM, t.Unix(), rng.IntN(1000000))
	}
	pl.link(t.Add(-3*time.Second), channel)
	pl.exclusive(t, func(ctx context.Context) error {
		conv, _, err := s.store.OpenConversation(ctx, p.custID, channel, c.thread)
		if err != nil {
			return err
		}
		c.conv = conv
		s.stats.conversations.Add(1)
		if p.talkedOn == nil {
			p.talkedOn = map[string]bool{}
		}
		if p.talkedOn[channel] = true; len(p.talkedOn) == 2 && !p.twoCounted {
			p.twoCounted = true
			s.stats.twoChannels.Add(1)
		}
		return nil
	})

	h := pl.planHandoff(intent, live)
	exchanges := 1 + rng.IntN(2)
	if h != nil && h.trigger == "rule:stuck" {
		exchanges = 2
	}
	cursor, lastAsked := t, t
	for k := range exchanges {
		text := pick(rng, topic.FollowUps)
		if k == 0 {
			text = pick(rng, topic.Openers)
		}
		at, delay := cursor, pl.jitter(2*time.Second, 9*time.Second)
		lastAsked = at
		answer := pick(rng, topic.Answers)
		unknown := h != nil && h.trigger == "rule:stuck"
		noReply := h != nil && h.trigger == "rule:refund" // the rule hands it off before the bot answers
		pl.shared(at, func(ctx context.Context) error {
			q, err := s.say(ctx, c, journeystate.ActorCustomer, text, at, journeystate.MessageMeta{})
			if err != nil {
				return err
			}
			if k == 0 {
				if err := s.intent(ctx, c, q, at.Add(time.Second)); err != nil {
					return err
				}
			}
			if noReply {
				return nil
			}
			meta := journeystate.MessageMeta{Source: bot.SourceOffline, ReplyTo: q.ID}
			reply := answer.Text + " See " + answer.Page.Title + ": hearthly.com" + answer.Page.URL
			if unknown {
				reply, meta.Unknown = seedUnknown, true
			} else {
				meta.Citations = []journeystate.Citation{answer.Page}
			}
			_, err = s.say(ctx, c, journeystate.ActorBot, reply, at.Add(delay), meta)
			return err
		})
		cursor = at.Add(delay + pl.jitter(40*time.Second, 4*time.Minute))
	}
	if h == nil {
		pl.closeIdle(c, cursor, next)
		return
	}
	pl.handoff(c, h, cursor, lastAsked, next, live, topic)
}

// planHandoff decides whether and why the conversation goes to a person; nil when the bot contains it.
func (pl *seedPlanner) planHandoff(intent string, live bool) *seedHandoff {
	rng := pl.rng
	chance := handoffChance[intent]
	if live {
		chance = 0.75
	}
	if rng.Float64() >= chance {
		return nil
	}
	h := &seedHandoff{pick: rng.Uint32(), urgency: journeystate.UrgencyNormal}
	switch r := rng.IntN(100); {
	case intent == "return_or_warranty":
		h.trigger = "rule:refund"
	case r < 35:
		h.trigger = journeystate.TriggerCustomerRequest
	case r < 55:
		h.trigger = "rule:frustrated"
	case r < 70:
		h.trigger = "rule:stuck"
	case r < 88:
		h.trigger = journeystate.TriggerModel
	default:
		h.trigger = journeystate.TriggerAgent
	}
	switch h.trigger {
	case journeystate.TriggerCustomerRequest:
		h.reason, h.actor, h.confidence = "The customer asked for a person.", journeystate.ActorCustomer, 1
	case journeystate.TriggerModel:
		h.reason, h.actor, h.confidence = "The customer needs a decision the assistant cannot make.", journeystate.ActorBot, 0.6+0.35*rng.Float64()
	case journeystate.TriggerAgent:
		h.actor, h.confidence = journeystate.ActorAgent, 1
	default:
		name := strings.TrimPrefix(h.trigger, journeystate.TriggerRulePrefix)
		i := slices.IndexFunc(pl.s.cfg.Handoff.Rules, func(r bot.HandoffRule) bool { return r.Name == name })
		if i < 0 { // a configuration without Hearthly's rules: the model decides instead
			h.trigger, h.reason, h.actor, h.confidence = journeystate.TriggerModel, "The customer needs a person.", journeystate.ActorBot, 0.7
			break
		}
		rule := pl.s.cfg.Handoff.Rules[i]
		h.reason, h.actor, h.confidence = rule.Reason, journeystate.ActorRule, 0.9
		if h.reason == "" {
			h.reason = "Rule " + name + " held."
		}
		if rule.Urgency != "" {
			h.urgency = rule.Urgency
		}
	}
	return h
}

// handoff plans the person's part: what leads to it, the wait, the agent's replies and the end.
// lastAsked is when the customer last wrote.
func (pl *seedPlanner) handoff(c *seedConv, h *seedHandoff, cursor, lastAsked, next time.Time, live bool, topic seedTopic) {
	s, rng := pl.s, pl.rng
	at := cursor
	switch h.trigger {
	case journeystate.TriggerCustomerRequest, journeystate.TriggerModel, "rule:frustrated":
		texts := []string{pick(rng, seedAskPerson)}
		switch h.trigger {
		case journeystate.TriggerModel:
			texts = []string{pick(rng, topic.FollowUps)}
		case "rule:frustrated":
			texts = []string{pick(rng, seedNegative), pick(rng, seedNegative)}
		}
		for k, text := range texts {
			at := at.Add(time.Duration(k) * pl.jitter(30*time.Second, 2*time.Minute))
			answer := pick(rng, topic.Answers)
			last := k == len(texts)-1
			pl.shared(at, func(ctx context.Context) error {
				q, err := s.say(ctx, c, journeystate.ActorCustomer, text, at, journeystate.MessageMeta{})
				if err != nil || last {
					return err
				}
				_, err = s.say(ctx, c, journeystate.ActorBot, "I'm sorry. "+answer.Text, at.Add(4*time.Second),
					journeystate.MessageMeta{Source: bot.SourceOffline, ReplyTo: q.ID, Citations: []journeystate.Citation{answer.Page}})
				return err
			})
			cursor = at
		}
		at = cursor.Add(2 * time.Second)
	case "rule:refund":
		at = lastAsked.Add(3 * time.Second) // the rule holds as soon as the question is read
	default:
		at = cursor.Add(-30 * time.Second)
	}
	hAt := at
	pl.exclusive(hAt, func(ctx context.Context) error { return s.handOff(ctx, c, h, hAt) })
	var wait time.Duration
	if h.trigger != journeystate.TriggerAgent {
		pl.shared(hAt.Add(time.Second), func(ctx context.Context) error {
			_, err := s.say(ctx, c, journeystate.ActorBot, seedHandoffMsg, hAt.Add(time.Second),
				journeystate.MessageMeta{Source: bot.SourceHandoff, ReplyTo: c.lastCustomerID()})
			return err
		})
		wait = pl.logNormal(3*time.Minute, 1.1, 8*time.Second, 55*time.Minute)
		if live {
			wait = pl.jitter(15*time.Minute, 70*time.Minute)
		}
		if !live && rng.Float64() < 0.05 { // they gave up waiting
			closeAt := hAt.Add(wait)
			pl.exclusive(closeAt, func(ctx context.Context) error {
				return s.setOwner(ctx, c, journeystate.OwnerClosed, "", journeystate.ActorRule, journeystate.OutcomeAbandoned)
			})
			pl.rate(c, h, closeAt, wait, journeystate.OutcomeAbandoned)
			return
		}
		takeAt := hAt.Add(wait)
		pl.exclusive(takeAt, func(ctx context.Context) error {
			return s.setOwner(ctx, c, journeystate.OwnerAgent, c.agent.ID, journeystate.ActorAgent, "take")
		})
		at = takeAt
	}
	// The agent's part.
	say := func(at time.Time, author journeystate.Actor, text, notice string) {
		pl.shared(at, func(ctx context.Context) error {
			meta := journeystate.MessageMeta{Notice: notice}
			if author != journeystate.ActorCustomer {
				meta.AgentID, meta.AgentName = c.agent.ID, c.agent.Name
			}
			if notice == journeystate.NoticeAgentJoined {
				text = c.agent.Name + " joined the conversation."
			}
			_, err := s.say(ctx, c, author, text, at, meta)
			return err
		})
	}
	at = at.Add(time.Second)
	say(at, journeystate.ActorSystem, "", journeystate.NoticeAgentJoined)
	at = at.Add(pl.jitter(15*time.Second, 50*time.Second))
	say(at, journeystate.ActorAgent, seedAgentHello, "")
	at = at.Add(pl.jitter(40*time.Second, 4*time.Minute))
	say(at, journeystate.ActorAgent, pick(rng, topic.Agent), "")
	at = at.Add(pl.jitter(1*time.Minute, 5*time.Minute))
	outcome := journeystate.OutcomeResolved
	switch r := rng.Float64(); {
	case r < 0.08:
		outcome = journeystate.OutcomeFollowUp
	case r < 0.15:
		outcome = journeystate.OutcomeUnresolved
	}
	if outcome == journeystate.OutcomeResolved {
		say(at, journeystate.ActorCustomer, pick(rng, seedThanks), "")
	} else {
		say(at, journeystate.ActorCustomer, "OK. Please let me know.", "")
	}
	at = at.Add(pl.jitter(20*time.Second, time.Minute))
	say(at, journeystate.ActorAgent, seedAgentBye, "")
	at = at.Add(pl.jitter(1*time.Minute, 4*time.Minute))
	if rng.Float64() < 0.4 {
		tags := topic.Tags
		if c.intent == "troubleshooting" && rng.Float64() < 0.5 {
			tags = []string{"bug"}
		}
		if len(tags) > 0 {
			tagAt := at
			pl.shared(tagAt, func(ctx context.Context) error {
				_, err := s.store.SetTags(ctx, c.conv.ID, tags, journeystate.ActorAgent, c.agent.ID)
				if err == nil {
					s.stats.tags.Add(1)
				}
				return err
			})
		}
	}
	endAt := at
	if outcome == journeystate.OutcomeResolved && rng.Float64() < 0.12 {
		pl.exclusive(endAt, func(ctx context.Context) error {
			return s.setOwner(ctx, c, journeystate.OwnerBot, "", journeystate.ActorAgent, "hand back")
		})
		say(endAt.Add(time.Second), journeystate.ActorSystem, "The assistant is back. Ask me anything, or ask for a person at any time.",
			journeystate.NoticeBotBack)
		pl.closeIdle(c, endAt, next)
		return
	}
	pl.exclusive(endAt, func(ctx context.Context) error {
		return s.setOwner(ctx, c, journeystate.OwnerClosed, "", journeystate.ActorAgent, outcome)
	})
	say(endAt.Add(time.Second), journeystate.ActorSystem, "This conversation was closed. How did we do? Reply with a "+
		"number from 1 (poor) to 5 (great), or write again any time.", journeystate.NoticeClosed)
	pl.rate(c, h, endAt, wait, outcome)
}

// closeIdle plans the bot's close of a quiet conversation (handoff.close_idle_after), before the next one starts.
func (pl *seedPlanner) closeIdle(c *seedConv, last, next time.Time) {
	s := pl.s
	idle := s.cfg.Handoff.CloseIdleAfter
	if idle <= 0 {
		idle = 24 * time.Hour
	}
	at := last.Add(idle + pl.jitter(0, s.cfg.Handoff.DispatchInterval))
	if limit := next.Add(-time.Minute); at.After(limit) {
		at = limit
	}
	pl.exclusive(at, func(ctx context.Context) error {
		return s.setOwner(ctx, c, journeystate.OwnerClosed, "", journeystate.ActorRule, journeystate.OutcomeResolved)
	})
	pl.rate(c, nil, at, 0, journeystate.OutcomeResolved)
}

// rate plans the customer's rating of the closed conversation, for six in ten: mostly good, worse after a long
// wait, frustration, an outcome other than resolved, or a journey off the designed paths.
func (pl *seedPlanner) rate(c *seedConv, h *seedHandoff, closed time.Time, wait time.Duration, outcome string) {
	s, rng := pl.s, pl.rng
	if rng.Float64() >= 0.6 {
		return
	}
	score := 4.4 + 0.8*rng.NormFloat64()
	if pl.p.deviates {
		score -= 0.7
	}
	if wait > 10*time.Minute {
		score -= 0.8
	}
	if wait > 30*time.Minute {
		score -= 0.6
	}
	if h != nil {
		switch h.trigger {
		case "rule:frustrated":
			score -= 1
		case "rule:stuck":
			score -= 0.5
		}
	}
	switch outcome {
	case journeystate.OutcomeUnresolved:
		score -= 1.5
	case journeystate.OutcomeFollowUp:
		score -= 0.5
	case journeystate.OutcomeAbandoned:
		score -= 2
	}
	rating := int(min(max(math.Round(score), journeystate.MinRating), journeystate.MaxRating))
	comment := ""
	if cs := seedComments[rating]; len(cs) > 0 && rng.Float64() < 0.4 {
		comment = pick(rng, cs)
	}
	at := closed.Add(pl.jitter(30*time.Second, 90*time.Minute))
	pl.shared(at, func(ctx context.Context) error {
		dup, err := s.store.RecordRating(ctx, c.conv.ID, rating, "", comment)
		if err == nil && !dup {
			s.stats.ratings.Add(1)
		}
		return err
	})
}

// say stores a message of the conversation at its time.
func (s *seeder) say(ctx context.Context, c *seedConv, author journeystate.Actor, text string, at time.Time,
	meta journeystate.MessageMeta) (journeystate.Message, error) {
	c.n++
	m, dup, err := s.store.AppendMessage(ctx, journeystate.Message{ConversationID: c.conv.ID, Author: author,
		ClientID: fmt.Sprintf("demo-seed:%d:%d:%d", c.p.idx, c.num, c.n), Text: text, Meta: meta, CreatedAt: at})
	if err != nil {
		return journeystate.Message{}, err
	}
	if !dup {
		s.stats.messages.Add(1)
	}
	c.msgs = append(c.msgs, m)
	return m, nil
}

// lastCustomerID is the id of the conversation's newest customer message, "" when none.
func (c *seedConv) lastCustomerID() string {
	for _, m := range slices.Backward(c.msgs) {
		if m.Author == journeystate.ActorCustomer {
			return m.ID
		}
	}
	return ""
}

// intent records the intent detected in the customer's message q and moves the stage as the journey map says, as
// the engine's phrase rule (bot.detectIntent) does.
func (s *seeder) intent(ctx context.Context, c *seedConv, q journeystate.Message, at time.Time) error {
	ev, _, err := s.store.AppendEvent(ctx, journeystate.Event{CustomerID: c.conv.CustomerID, ConversationID: c.conv.ID,
		Type: journeystate.EventIntentDetected, Channel: c.channel, Actor: journeystate.ActorRule,
		Cause: "demo seed", Payload: mustJSON(journeystate.IntentPayload{Intent: c.intent}), Key: "intent:" + q.ID, Time: at})
	if err != nil {
		return fmt.Errorf("record intent: %w", err)
	}
	cust, err := s.store.Customer(ctx, ev.CustomerID)
	if err != nil {
		return err
	}
	to, cause, ok := s.cfg.Journey.Next(cust.Stage, ev, nil)
	if !ok {
		return nil
	}
	_, changed, err := s.store.SetStage(ctx, cust.ID, journeystate.StageChange{From: cust.Stage, To: to,
		Actor: journeystate.ActorRule, Cause: cause, Channel: c.channel, ConversationID: c.conv.ID, Time: at})
	if err != nil {
		return fmt.Errorf("set stage: %w", err)
	}
	if changed {
		s.stats.stageChanges.Add(1)
	}
	return nil
}

// handOff hands the bot's conversation to people with its packet, routed to a team by the customer's stage and the
// conversation's intent; an agent taking over gets it at once.
func (s *seeder) handOff(ctx context.Context, c *seedConv, h *seedHandoff, at time.Time) error {
	conv, err := s.store.Conversation(ctx, c.conv.ID)
	if err != nil {
		return err
	}
	c.conv = conv
	cust, err := s.store.Customer(ctx, conv.CustomerID)
	if err != nil {
		return err
	}
	team := ""
	if t, ok := routing.Route(routing.Item{Stage: cust.Stage, Intent: c.intent, Language: "en"}, s.cfg.Handoff.Teams); ok {
		team = t.Name
	}
	c.agent = s.agentFor(team, h.pick)
	packet := s.packet(c, cust, h, team, at)
	change := journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: h.actor,
		Cause: h.trigger, Team: team, Handoff: &packet}
	if h.trigger == journeystate.TriggerAgent {
		change.Owner, change.AgentID = journeystate.OwnerAgent, c.agent.ID
	}
	if c.conv, err = s.store.SetOwner(ctx, conv.ID, change); err != nil {
		return err
	}
	s.stats.handoffs.Add(1)
	return nil
}

// packet is the hand-off packet of the conversation as the engine would build it without a model: an extractive
// summary, the conversation as its timeline and the bot's answers as what it tried.
func (s *seeder) packet(c *seedConv, cust journeystate.Customer, h *seedHandoff, team string, at time.Time) journeystate.Handoff {
	p := journeystate.Handoff{ID: uuid.NewString(), ConversationID: c.conv.ID, CustomerID: c.conv.CustomerID,
		Channel: c.channel, SummarySource: journeystate.SummaryExtractive, Intent: c.intent,
		Sentiment: journeystate.SentimentNeutral, Stage: cust.Stage, Language: "en", Profile: cust.Profile,
		Traits: cust.Traits, Memory: cust.Memory, Reason: h.reason, Trigger: h.trigger, Urgency: h.urgency,
		Confidence: h.confidence, WaitingSince: at, Team: team, CreatedAt: at}
	if h.trigger == "rule:frustrated" {
		p.Sentiment = journeystate.SentimentNegative
	}
	if h.trigger == journeystate.TriggerAgent {
		p.Reason = c.agent.Name + " took the conversation over."
	}
	var said []string
	waiting := true
	for _, m := range slices.Backward(c.msgs) {
		if m.Author != journeystate.ActorCustomer {
			waiting = false
		} else if waiting {
			p.WaitingSince = m.CreatedAt
		}
	}
	for _, m := range c.msgs {
		p.Timeline = append(p.Timeline, journeystate.HandoffEntry{Time: m.CreatedAt, Channel: c.channel,
			ConversationID: c.conv.ID, Kind: "message", Author: m.Author, Text: m.Text})
		switch m.Author {
		case journeystate.ActorCustomer:
			said = append(said, m.Text)
		case journeystate.ActorBot:
			p.Tried = append(p.Tried, journeystate.HandoffAttempt{Time: m.CreatedAt, Kind: journeystate.AttemptAnswer,
				Text: m.Text, Source: m.Meta.Source, Citations: m.Meta.Citations})
		}
	}
	p.Summary = "The customer wrote: " + strings.Join(said, " ")
	if len(said) == 0 {
		p.Summary = "The customer has not written in this conversation."
	}
	return p
}

// setOwner moves the conversation to owner (agentID for an agent) as actor with cause.
func (s *seeder) setOwner(ctx context.Context, c *seedConv, owner journeystate.Owner, agentID string, actor journeystate.Actor, cause string) error {
	conv, err := s.store.SetOwner(ctx, c.conv.ID, journeystate.OwnerChange{From: c.conv.Owner, FromAgentID: c.conv.AgentID,
		Owner: owner, AgentID: agentID, Actor: actor, Cause: cause})
	if err != nil {
		return err
	}
	c.conv = conv
	return nil
}

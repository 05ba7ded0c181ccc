package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// EventFollowUpPromised records that a queued conversation past its team's SLA was promised a reply later (the
// follow_up fallback), so that the promise is made once per wait.
const EventFollowUpPromised = "follow_up_promised"

// DispatchResult is what one Dispatch did.
type DispatchResult struct {
	Queued     int // conversations in the queue when it looked
	Assigned   int // given to online agents
	FellBack   int // past their SLA, handed back to the bot
	FollowUps  int // past their SLA, promised a reply later
	Unassigned int // still waiting
	Closed     int // the bot's conversations closed for being idle
}

// Dispatch works the queue once, at the engine's clock: conversations past their team's SLA get the team's
// fallback (back to the bot with an apology, or a promise of a reply later), and, with AutoAssign, the others go
// to online agents of their team with free capacity, most urgent first, then the longest waiting. Two servers may
// dispatch at once: every move is a compare-and-set, and the loser's moves are skipped.
func (e *Engine) Dispatch(ctx context.Context) (DispatchResult, error) {
	var res DispatchResult
	queued, err := e.cfg.Store.Conversations(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerQueue})
	if err != nil {
		return res, fmt.Errorf("dispatch: list the queue: %w", err)
	}
	res.Queued = len(queued)
	now := e.cfg.Now()
	depth := map[string]int{"": 0} // "": conversations routed to no team
	for _, t := range e.cfg.Handoff.Teams {
		depth[t.Name] = 0
	}
	var items []routing.Item
	for _, conv := range queued {
		packet, err := e.cfg.Store.LatestHandoff(ctx, conv.ID)
		if err != nil && !errors.Is(err, journeystate.ErrNotFound) {
			return res, fmt.Errorf("dispatch: packet of %s: %w", conv.ID, err)
		}
		item := routingItem(conv, packet)
		team, _ := e.cfg.Handoff.team(conv.Team)
		if routing.Expired(item, team, now) {
			switch done, err := e.expire(ctx, conv, team); {
			case err != nil:
				e.log.Warn("dispatch: SLA fallback", "conversation", conv.ID, "err", err)
			case done == routing.FallbackBot:
				res.FellBack++
				continue
			case done == routing.FallbackFollowUp:
				res.FollowUps++
			}
		}
		depth[conv.Team]++
		items = append(items, item)
	}
	e.cfg.Metrics.setQueueDepth(depth)
	if e.cfg.Handoff.AutoAssign && e.cfg.Handoff.Agents != nil && len(items) > 0 {
		agents, names, err := e.routingAgents(ctx)
		if err != nil {
			return res, err
		}
		for _, a := range routing.Assign(items, agents, now) {
			conv, err := e.cfg.Store.Conversation(ctx, a.ConversationID)
			if err != nil {
				return res, fmt.Errorf("dispatch: %w", err)
			}
			if conv.Owner != journeystate.OwnerQueue {
				continue // taken since it was listed
			}
			agent := channels.Agent{ID: a.AgentID, Name: names[a.AgentID]}
			if _, err := e.giveTo(ctx, conv, agent, journeystate.ActorRule, "routed to "+a.Team); err != nil {
				if errors.Is(err, journeystate.ErrConflict) {
					continue // someone took it meanwhile
				}
				return res, err
			}
			res.Assigned++
		}
	}
	res.Unassigned = res.Queued - res.FellBack - res.Assigned
	if res.Closed, err = e.closeIdle(ctx, now); err != nil {
		return res, err
	}
	return res, nil
}

// closeIdle closes, with the outcome resolved, the bot's conversations quiet for CloseIdleAfter (the oldest
// idleBatch of them per round), and returns how many it closed.
func (e *Engine) closeIdle(ctx context.Context, now time.Time) (int, error) {
	idle := e.cfg.Handoff.CloseIdleAfter
	if idle <= 0 {
		return 0, nil
	}
	convs, err := e.cfg.Store.Conversations(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerBot, Limit: idleBatch})
	if err != nil {
		return 0, fmt.Errorf("dispatch: list the bot's conversations: %w", err)
	}
	closed := 0
	for _, c := range convs {
		if now.Sub(c.UpdatedAt) < idle {
			continue
		}
		_, err := e.cfg.Store.SetOwner(ctx, c.ID, journeystate.OwnerChange{From: journeystate.OwnerBot,
			Owner: journeystate.OwnerClosed, Actor: journeystate.ActorRule, Cause: journeystate.OutcomeResolved})
		switch {
		case errors.Is(err, journeystate.ErrConflict):
			continue // it changed meanwhile
		case err != nil:
			return closed, fmt.Errorf("dispatch: close idle conversation %s: %w", c.ID, err)
		}
		closed++
	}
	return closed, nil
}

// idleBatch bounds the conversations one dispatch round looks at for idleness.
const idleBatch = 500

// routingAgents lists the agents as routing sees them, with the conversations each holds, and their names.
func (e *Engine) routingAgents(ctx context.Context) ([]routing.Agent, map[string]string, error) {
	users, err := e.cfg.Handoff.Agents.Users(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: list agents: %w", err)
	}
	held, err := e.cfg.Store.Conversations(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerAgent, Limit: 5000})
	if err != nil {
		return nil, nil, fmt.Errorf("dispatch: list agents' conversations: %w", err)
	}
	active := map[string]int{}
	for _, c := range held {
		active[c.AgentID]++
	}
	var agents []routing.Agent
	names := map[string]string{}
	for _, u := range users {
		if u.Disabled {
			continue
		}
		names[u.ID] = u.Name
		agents = append(agents, routing.Agent{ID: u.ID, Teams: u.Teams, Status: routing.Status(u.Status),
			Capacity: u.Capacity, Active: active[u.ID]})
	}
	return agents, names, nil
}

// expire applies team's SLA fallback to conv, which waited too long; it returns the fallback applied ("" when
// nothing was done: the promise was made before).
func (e *Engine) expire(ctx context.Context, conv journeystate.Conversation, team routing.Team) (routing.Fallback, error) {
	waited := e.cfg.Now().Sub(conv.OwnerSince)
	if team.Fallback == routing.FallbackFollowUp {
		_, dup, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{CustomerID: conv.CustomerID, ConversationID: conv.ID,
			Type: EventFollowUpPromised, Channel: conv.Channel, Actor: journeystate.ActorRule,
			Cause: "sla " + team.SLA.String(), Key: fmt.Sprintf("follow_up:%s:%d", conv.ID, conv.OwnerSince.UnixNano())})
		if err != nil || dup {
			return "", err
		}
		where := "here"
		if conv.Channel == journeystate.ChannelWeb {
			where = "here and by email if you left one"
		}
		_, err = e.say(ctx, conv, journeystate.Message{Author: journeystate.ActorBot,
			ClientID: fmt.Sprintf("follow_up:%s:%d", conv.ID, conv.OwnerSince.UnixNano()),
			Text: "I'm sorry for the wait: everyone on our team is busy. Your conversation stays in line and " +
				"someone will reply " + where + " as soon as they can.",
			Meta: journeystate.MessageMeta{Source: SourceHandoff}})
		return routing.FallbackFollowUp, err
	}
	_, err := e.toBot(ctx, conv, journeystate.ActorRule, "sla "+team.SLA.String(), channels.Agent{},
		"I'm sorry: nobody from our team could take your conversation in time. I'm back to help as best I can, "+
			"and you can ask for a person again later.")
	if err != nil {
		if errors.Is(err, journeystate.ErrConflict) {
			return "", nil // taken meanwhile
		}
		return "", err
	}
	e.cfg.Metrics.queueWaited(conv.Team, "fallback", waited)
	return routing.FallbackBot, nil
}

// RunDispatcher runs Dispatch now and then every interval until ctx ends. Errors are logged; the next round tries again.
func (e *Engine) RunDispatcher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	if _, err := e.Dispatch(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("dispatch", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Dispatch(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("dispatch", "err", err)
			}
		}
	}
}

package slack

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// The hand-off packet as a Block Kit message. All of a packet's text is untrusted (the customer's words, the
// model's summary), so it goes in plain_text objects, which Slack shows as they are: no <!channel>, <@U…>, link or
// *formatting* in them takes effect. mrkdwn carries only journeybot's own labels and Slack date tokens.

// Block Kit limits (https://api.slack.com/reference/block-kit): Slack refuses a message past them.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxHeaderText  = 150
	maxButtonValue = 2000
	// maxTextSections bounds the sections one text is split into.
	maxTextSections = 8
)

// What a packet shows of the journey: the newest timeline lines and attempts, each cut short.
const (
	packetTimelineLines = 8
	packetTriedLines    = 5
	packetLineRunes     = 280
)

// Action ids of the packet's elements. A button's value is the conversation id; the Close select's option values
// are outcomes (journeystate.ValidOutcome), so it takes the conversation id from its block's id,
// actionsBlockPrefix+id. Packets posted before the select have a Close button (outcome resolved), which is still
// understood.
const (
	actionTake     = "jb_take"
	actionHandBack = "jb_handback"
	actionClose    = "jb_close"
	// actionsBlockPrefix begins the block id of a packet's actions block; the conversation id follows.
	actionsBlockPrefix = "jb_actions:"
)

// closeOutcomes are the Close select's options, in the order shown.
var closeOutcomes = []struct{ value, label string }{
	{journeystate.OutcomeResolved, "Resolved"},
	{journeystate.OutcomeUnresolved, "Unresolved"},
	{journeystate.OutcomeFollowUp, "Follow up later"},
	{journeystate.OutcomeSpam, "Spam"},
	{journeystate.OutcomeAbandoned, "Abandoned"},
}

// packetActions is the actions block for a conversation that owner has: Take while the queue or the bot has it
// (an agent may take over from the bot), Hand back and Close while an agent has it; nil when it is closed.
func packetActions(convID string, owner journeystate.Owner) slackapi.Block {
	value := clip(convID, maxButtonValue)
	var elems []slackapi.BlockElement
	switch owner {
	case journeystate.OwnerQueue, journeystate.OwnerBot:
		elems = append(elems, slackapi.NewButtonBlockElement(actionTake, value, plain("Take")).WithStyle(slackapi.StylePrimary))
	case journeystate.OwnerAgent:
		options := make([]*slackapi.OptionBlockObject, 0, len(closeOutcomes))
		for _, o := range closeOutcomes {
			options = append(options, slackapi.NewOptionBlockObject(o.value, plain(o.label), nil))
		}
		closeSelect := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain("Close as…"), actionClose, options...).
			WithConfirm(slackapi.NewConfirmationBlockObject(plain("Close the conversation?"),
				plain("The customer's next message goes to the bot."), plain("Close"), plain("Cancel")))
		elems = append(elems, slackapi.NewButtonBlockElement(actionHandBack, value, plain("Hand back")), closeSelect)
	default:
		return nil
	}
	// A block id is at most 255 characters; a conversation id longer than maxConvIDLen is refused on a click anyway.
	return slackapi.NewActionBlock(actionsBlockPrefix+clip(convID, maxConvIDLen), elems...)
}

// packetOwner is who has a packet's conversation now, as the packet says it.
type packetOwner struct {
	Owner   journeystate.Owner
	Agent   string    // the agent's name, with OwnerAgent; "" when not known
	Team    string    // the queue's team, with OwnerQueue
	Since   time.Time // when the owner got the conversation; zero when not known
	Outcome string    // with OwnerClosed
}

// ownerOf is who has the conversation after u, an Update of kind UpdateOwner.
func ownerOf(u channels.Update) packetOwner {
	c := u.Change
	p := packetOwner{Owner: cmp.Or(c.Owner, u.Conversation.Owner, journeystate.OwnerQueue), Since: u.Conversation.OwnerSince,
		Team: cmp.Or(c.Team, u.Conversation.Team)}
	switch p.Owner {
	case journeystate.OwnerAgent:
		if id := cmp.Or(c.AgentID, u.Conversation.AgentID); u.Agent.ID != "" && u.Agent.ID == id {
			p.Agent = u.Agent.Name
		}
	case journeystate.OwnerClosed:
		p.Outcome = c.Cause
	}
	return p
}

// ownerStatus is the packet's context line saying who has the conversation now. The agent's name is not
// journeybot's own words, so it goes in plain_text; only the date token is mrkdwn.
func ownerStatus(p packetOwner) slackapi.Block {
	var elems []slackapi.MixedElement
	switch p.Owner {
	case journeystate.OwnerQueue:
		queue := "support"
		if p.Team != "" {
			queue = clip(oneLine(p.Team), 100)
		}
		elems = append(elems, plain("Waiting in the "+queue+" queue"))
	case journeystate.OwnerAgent:
		elems = append(elems, plain("With "+cmp.Or(clip(oneLine(p.Agent), 200), "an agent")))
		if !p.Since.IsZero() {
			elems = append(elems, slackapi.NewTextBlockObject(slackapi.MarkdownType, "since "+slackTime(p.Since), false, false))
		}
	case journeystate.OwnerBot:
		elems = append(elems, plain("Back with the assistant"))
	case journeystate.OwnerClosed:
		elems = append(elems, plain("Closed: "+cmp.Or(clip(oneLine(p.Outcome), 100), "no outcome")))
	default:
		return nil
	}
	return slackapi.NewContextBlock("jb_owner", elems...)
}

// packetBlocks returns the packet's blocks and the notification text that goes with them (escaped mrkdwn): the
// hand-off h of conv, who has conv now, and the buttons that make sense for that owner.
func packetBlocks(conv journeystate.Conversation, h journeystate.Handoff, now packetOwner) ([]slackapi.Block, string) {
	who := cmp.Or(strings.TrimSpace(h.Profile.Name), "Visitor")
	title := "Hand-off: " + who + " on " + channelLabel(cmp.Or(h.Channel, conv.Channel))
	blocks := []slackapi.Block{slackapi.NewHeaderBlock(plain(clip(oneLine(title), maxHeaderText)))}

	trigger := h.Trigger
	if h.Confidence > 0 && h.Confidence < 1 {
		trigger += fmt.Sprintf(" (%.0f%% sure)", h.Confidence*100)
	}
	fields := []*slackapi.TextBlockObject{
		plainField("Urgency", string(h.Urgency)),
		plainField("Trigger", trigger),
		plainField("Stage", h.Stage),
		plainField("Intent", h.Intent),
		plainField("Sentiment", string(h.Sentiment)),
		plainField("Team", cmp.Or(h.Team, conv.Team)),
	}
	if h.Language != "" {
		fields = append(fields, plainField("Language", h.Language))
	}
	if !h.WaitingSince.IsZero() {
		fields = append(fields, slackapi.NewTextBlockObject(slackapi.MarkdownType, "*Waiting since*\n"+slackDate(h.WaitingSince), false, false))
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, fields[:min(len(fields), maxFields)], nil))

	blocks = append(blocks, plainSections("Reason: "+orDash(h.Reason))...)
	blocks = append(blocks, plainSections("Summary:\n"+orDash(h.Summary))...)
	blocks = append(blocks, plainSections("Profile:\n"+profileText(h))...)
	if lines := timelineLines(h.Timeline); lines != "" {
		blocks = append(blocks, plainSections("Newest in the journey:\n"+lines)...)
	}
	if lines := triedLines(h.Tried); lines != "" {
		blocks = append(blocks, plainSections("What the bot tried:\n"+lines)...)
	}
	// The packet's own text is bounded above; this keeps a pathological one under the limit with its owner line,
	// its buttons and its footer.
	if len(blocks) > maxBlocks-3 {
		blocks = blocks[:maxBlocks-3]
	}
	if st := ownerStatus(now); st != nil {
		blocks = append(blocks, st)
	}
	if act := packetActions(conv.ID, now.Owner); act != nil {
		blocks = append(blocks, act)
	}
	blocks = append(blocks,
		slackapi.NewContextBlock("", plain(clip("Conversation "+conv.ID+" · reply in this thread once you have taken it", maxSectionText))))
	fallback := escape(truncate(oneLine(title+": "+orDash(h.Reason)), 300))
	return blocks, fallback
}

// plainSections is text as plain_text sections of at most maxSectionText characters each, at most
// maxTextSections of them (the rest is cut).
func plainSections(text string) []slackapi.Block {
	text = clip(strings.ToValidUTF8(text, "\uFFFD"), maxTextSections*maxSectionText)
	if strings.TrimSpace(text) == "" {
		text = "—"
	}
	var blocks []slackapi.Block
	for text != "" {
		part := prefix(text, maxSectionText)
		text = text[len(part):]
		blocks = append(blocks, slackapi.NewSectionBlock(plain(part), nil, nil))
	}
	return blocks
}

// plain is a plain_text object; Slack refuses an empty one, so "" becomes "—". Shortcodes like :smile: are left
// as they are written.
func plain(s string) *slackapi.TextBlockObject {
	if strings.TrimSpace(s) == "" {
		s = "—"
	}
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}

func plainField(label, value string) *slackapi.TextBlockObject {
	return plain(clip(label+": "+orDash(oneLine(value)), maxFieldText))
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// slackTime is t's time of day as a Slack date token, in the reader's time zone, with UTC text where tokens are
// not rendered.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// slackDate is t as a Slack date token, shown in the reader's time zone, with UTC text where tokens are not
// rendered.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func profileText(h journeystate.Handoff) string {
	var b strings.Builder
	for _, f := range []struct{ label, v string }{{"Name", h.Profile.Name}, {"Email", h.Profile.Email}, {"Phone", h.Profile.Phone}} {
		if f.v != "" {
			fmt.Fprintf(&b, "%s: %s\n", f.label, truncate(oneLine(f.v), 200))
		}
	}
	keys := make([]string, 0, len(h.Traits))
	for k := range h.Traits {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == 10 {
			fmt.Fprintf(&b, "… and %d more traits\n", len(keys)-i)
			break
		}
		fmt.Fprintf(&b, "%s: %s\n", truncate(oneLine(k), 60), truncate(oneLine(h.Traits[k]), 200))
	}
	return orDash(strings.TrimSpace(b.String()))
}

// timelineLines are the newest packetTimelineLines entries, oldest first.
func timelineLines(entries []journeystate.HandoffEntry) string {
	var b strings.Builder
	for _, e := range entries[max(0, len(entries)-packetTimelineLines):] {
		who := string(e.Author)
		if e.Kind != "message" {
			who = cmp.Or(e.Kind, "event")
		}
		where := ""
		if e.Channel != "" {
			where = " (" + channelLabel(e.Channel) + ")"
		}
		fmt.Fprintf(&b, "%s %s%s: %s\n", e.Time.UTC().Format("Jan 2 15:04"), cmp.Or(who, "someone"), where,
			truncate(oneLine(e.Text), packetLineRunes))
	}
	return strings.TrimSpace(b.String())
}

// triedLines are the newest packetTriedLines attempts, oldest first.
func triedLines(tried []journeystate.HandoffAttempt) string {
	var b strings.Builder
	for _, t := range tried[max(0, len(tried)-packetTriedLines):] {
		switch t.Kind {
		case journeystate.AttemptTool:
			result := "failed"
			if t.OK {
				result = "ok"
			}
			fmt.Fprintf(&b, "tool %s (%s): %s\n", truncate(oneLine(t.Tool), 60), result, truncate(oneLine(t.Result), packetLineRunes))
		default:
			fmt.Fprintf(&b, "answered (%s): %s\n", cmp.Or(t.Source, "bot"), truncate(oneLine(t.Text), packetLineRunes))
		}
	}
	return strings.TrimSpace(b.String())
}

func channelLabel(ch string) string {
	switch ch {
	case journeystate.ChannelWeb:
		return "web chat"
	case journeystate.ChannelSlack:
		return "Slack"
	case journeystate.ChannelSMS:
		return "SMS"
	default:
		return cmp.Or(truncate(oneLine(ch), 40), "an unknown channel")
	}
}

// clip cuts s to at most n UTF-16 code units (what Slack's limits count, an emoji being two), ending with "…"
// when it cut.
func clip(s string, n int) string {
	if p := prefix(s, n); len(p) == len(s) {
		return s
	}
	return prefix(s, n-1) + "…"
}

// prefix is the longest prefix of s of at most n UTF-16 code units.
func prefix(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

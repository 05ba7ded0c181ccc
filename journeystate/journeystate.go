// Package journeystate holds journeybot's domain: customers and their identities on each channel, conversations with
// their owner, messages, the append-only journey event log and the knowledge passages the bot answers from, plus the
// Store interface that every storage backend implements.
//
// It must not depend on any storage technology, channel adapter or model: those depend on it.
package journeystate

import (
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors returned by Store implementations; check them with errors.Is.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the write would break a uniqueness or state rule (for example a key already used with
	// different content).
	ErrConflict = errors.New("conflict")
)

// Channel names. A channel is where a customer talks to journeybot.
const (
	ChannelWeb   = "web"
	ChannelSlack = "slack"
	ChannelSMS   = "sms"
)

// Identity kinds that are not channels: they hold across channels, so that a customer known by them on one channel
// is the same customer on another. Identity.Channel holds either a channel name or one of these.
const (
	// IdentityUser is the company's own user id: the widget's verified identify call, the events API's userId.
	IdentityUser = "user"
	// IdentityEmail is an email address, normalised by NormalizeEmail.
	IdentityEmail = "email"
	// IdentityPhone is a phone number in E.164, normalised by NormalizePhone.
	IdentityPhone = "phone"
	// IdentityAnonymousID is an analytics anonymous id (Segment's anonymousId) sent by the company's systems.
	IdentityAnonymousID = "anonymous_id"
)

// Level says how an identity was established.
type Level string

// Identity levels, weakest first.
const (
	LevelAnonymous Level = "anonymous" // a widget visitor id, a phone number nobody vouched for
	LevelClaimed   Level = "claimed"   // the customer said who they are, unverified
	LevelVerified  Level = "verified"  // proven: HMAC-signed user id, Slack profile email, SMS phone
)

// Actor is who did something: wrote a message, changed an owner, caused an event.
type Actor string

// Actors.
const (
	ActorCustomer Actor = "customer"
	ActorBot      Actor = "bot"
	ActorAgent    Actor = "agent"
	ActorRule     Actor = "rule"
	ActorSystem   Actor = "system"
)

// Owner is who answers a conversation. Exactly one at a time.
type Owner string

// Owners.
const (
	OwnerBot    Owner = "bot"
	OwnerQueue  Owner = "queue"
	OwnerAgent  Owner = "agent"
	OwnerClosed Owner = "closed"
)

// Profile is what is known about a person: filled from channel hints and later from identify calls.
type Profile struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Customer is one person, whatever channel they use.
type Customer struct {
	ID      string
	Profile Profile
	// Traits are attributes the company's systems or the channels told about the customer ("plan": "pro").
	Traits map[string]string
	// Stage is the customer's current journey stage, "" before the first; the journey log's "stage_changed" events
	// set it (see SetStage).
	Stage  string
	Memory Memory
	// MergedInto is the customer this one was merged into, "" while it stands on its own. A merged customer holds
	// no identities, conversations or events: they moved to the survivor (see Identify and Unmerge).
	MergedInto string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Memory is what the bot remembers of a customer between conversations.
type Memory struct {
	// Facts are what the bot learned, by key ("thermostat_model": "T2"); the keys allowed are configured.
	Facts map[string]string `json:"facts,omitempty"`
	// Summary is a running summary of the customer's past conversations.
	Summary string `json:"summary,omitempty"`
	// SummaryUpdatedAt is when Summary last changed; zero when there is none.
	SummaryUpdatedAt time.Time `json:"summary_updated_at,omitzero"`
}

// CustomerUpdate changes what is known about a customer; UpdateCustomer records it as a "customer_updated" event
// whose payload is the change.
type CustomerUpdate struct {
	// Profile fields that are not empty replace the stored ones.
	Profile Profile
	// Traits are merged into the stored traits; a trait set to "" is removed.
	Traits map[string]string
	// Facts are merged into Memory.Facts; a fact set to "" is removed.
	Facts map[string]string
	// Who made the change and why, and where: they go into the event.
	Actor          Actor
	Cause          string
	Channel        string
	ConversationID string
}

// StageChange moves a customer to another journey stage; SetStage records it as a "stage_changed" event with
// payload {"from": From, "to": To}.
type StageChange struct {
	// From is the stage the change expects the customer to be in ("" for none yet): when the stored stage differs,
	// another change came first and SetStage returns ErrConflict, so that the caller can decide again.
	From string
	To   string
	// Actor and Cause say who moved the customer and why ("event order_placed", "rule viewed_pricing x3 in 168h",
	// "model: asked about installation").
	Actor          Actor
	Cause          string
	Channel        string
	ConversationID string
	// Time is when the change happened; zero means now. A back-filled business event moves the stage at its own time.
	Time time.Time
}

// Merge records that two customers were found to be one person: Absorbed's identities, conversations and events
// moved to Survivor. Unmerge undoes it.
type Merge struct {
	ID         string
	SurvivorID string
	AbsorbedID string
	// Claim is the verified identity both customers turned out to hold; Evidence says how it was verified.
	Claim     IdentityClaim
	Evidence  string
	Actor     Actor
	CreatedAt time.Time
	// UndoneAt is when Unmerge undid it; zero while it holds. UndoneCause says why.
	UndoneAt    time.Time
	UndoneCause string
}

// MergeRefusal is a verified identity that another customer holds too, where the two customers were not merged.
type MergeRefusal struct {
	Claim           IdentityClaim
	OtherCustomerID string
	Reason          string // e.g. "both hold a different verified user id"
}

// IdentifyResult is what Identify did.
type IdentifyResult struct {
	// Customer is the customer the claims now belong to: the one asked about, or the one it was merged into.
	Customer Customer
	// Added are the identities that are new to the customer or were raised to verified.
	Added   []Identity
	Merges  []Merge
	Refused []MergeRefusal
}

// Identity maps (Channel, ExternalID) to a customer.
type Identity struct {
	Channel    string
	ExternalID string
	CustomerID string
	Level      Level
	CreatedAt  time.Time
}

// IdentityClaim is what a channel knows about the sender of a message: who they are on that channel and how sure it
// is, with profile hints used to fill a new customer's empty profile fields.
type IdentityClaim struct {
	Channel    string
	ExternalID string
	Level      Level
	Profile    Profile
}

// Conversation is a thread with one customer on one channel.
type Conversation struct {
	ID         string
	CustomerID string
	Channel    string
	// ThreadID is the channel's own id of the thread (web: the visitor id; Slack: channel and thread ts; SMS: the
	// customer's number).
	ThreadID string
	Owner    Owner
	AgentID  string // set when Owner is OwnerAgent
	// Team is the team whose queue holds the conversation or whose agent owns it: set by the hand-off (the packet's
	// Team) and by a transfer; "" while the bot owns it and before the first hand-off.
	Team string
	// OwnerSince is when the current owner got the conversation (its creation for the first owner): how long a
	// queued conversation has waited, and what SLA timers run from.
	OwnerSince time.Time
	LastSeq    int64 // sequence number of the newest message; 0 when none
	// SummarizedSeq is the newest message the customer's memory summary has taken in (SetSummary); 0 when none.
	SummarizedSeq int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// OwnerChange moves a conversation to a new owner; the store records it as an "owner_changed" event. CheckTransition
// says which changes are allowed.
type OwnerChange struct {
	// From and FromAgentID are the owner the change expects the conversation to have (required): when the stored
	// owner differs, another change came first and SetOwner returns ErrConflict, so that the caller can decide again.
	From        Owner
	FromAgentID string
	Owner       Owner
	AgentID     string
	// Actor and Cause say who moved the conversation and why (both required): a hand-off trigger
	// ("customer_request", "rule:vip"), "sla 10m", "take", the outcome of a close.
	Actor Actor
	Cause string
	// Team, when set, becomes the conversation's Team (a hand-off routed to it, a transfer to its queue); "" keeps
	// the conversation's team, except that a change to the bot clears it.
	Team string
	// Handoff is the hand-off packet of a change that hands the conversation to people (bot → queue, or an agent
	// taking over from the bot): SetOwner stores it as a "handoff" event in the same transaction, so that no
	// conversation is ever queued without its packet. It must pass Validate and name the conversation.
	Handoff *Handoff
}

// Outcomes of a closed conversation: the Cause of the change to OwnerClosed.
const (
	OutcomeResolved   = "resolved"   // the customer was helped
	OutcomeUnresolved = "unresolved" // they were not, and nobody will follow up
	OutcomeFollowUp   = "follow_up"  // someone will write to the customer later
	OutcomeSpam       = "spam"       // not a real customer conversation
	OutcomeAbandoned  = "abandoned"  // the customer left before anyone could help
)

// ValidOutcome reports whether s is one of the Outcome constants.
func ValidOutcome(s string) bool {
	switch s {
	case OutcomeResolved, OutcomeUnresolved, OutcomeFollowUp, OutcomeSpam, OutcomeAbandoned:
		return true
	}
	return false
}

// ConversationQuery selects conversations for the queue and an agent's own list.
type ConversationQuery struct {
	Owner   Owner  // required
	AgentID string // with OwnerAgent: only that agent's; "" all agents'
	Team    string // "" every team
	// Limit bounds the result; 0 means a store default (500).
	Limit int
}

// Message is one turn of text in a conversation.
type Message struct {
	ID             string
	ConversationID string
	CustomerID     string
	// Seq orders messages within the conversation: 1, 2, 3 ... assigned by the store.
	Seq    int64
	Author Actor
	// ClientID is the id the sender gave the message (widget message id, Slack event id, Twilio MessageSid; for a
	// bot reply, "reply:" and the id of the message it answers). Unique per customer: a resent message is stored once.
	ClientID  string
	Text      string
	Meta      MessageMeta
	CreatedAt time.Time
}

// MessageMeta is what a message carries besides its text.
type MessageMeta struct {
	// Source says what produced a bot reply: "model", "offline" (the offline responder, no model configured) or
	// "fallback" (the offline responder standing in for a model that failed or was too slow).
	Source string `json:"source,omitempty"`
	// Citations are the knowledge pages the reply answers from.
	Citations []Citation `json:"citations,omitempty"`
	// ReplyTo is the ID of the customer message a bot reply answers.
	ReplyTo string `json:"reply_to,omitempty"`
	// Unknown marks a bot reply that could not answer the question (the offline responder found nothing, or every
	// responder failed): the "could not answer" hand-off rule counts them.
	Unknown bool `json:"unknown,omitempty"`
	// AgentID and AgentName name the agent who wrote an agent message, or whom a notice is about.
	AgentID   string `json:"agent_id,omitempty"`
	AgentName string `json:"agent_name,omitempty"`
	// Notice says what a system message announces (see the Notice constants); channels show notices as status
	// lines rather than as someone's words.
	Notice string `json:"notice,omitempty"`
}

// Notices: what a system message (Author ActorSystem) announces to the customer.
const (
	NoticeAgentJoined = "agent_joined" // an agent took the conversation (MessageMeta.AgentName says who)
	NoticeAgentLeft   = "agent_left"   // the agent handed it on to another agent or a queue
	NoticeBotBack     = "bot_back"     // the assistant answers again
	NoticeClosed      = "closed"       // the conversation was closed
)

// Citation names a knowledge page.
type Citation struct {
	Title  string `json:"title"`
	Source string `json:"source"`        // the file, relative to the knowledge folder
	URL    string `json:"url,omitempty"` // a link to the page on the company's site, when configured
}

// Event is one row of a customer's journey log: append-only.
type Event struct {
	ID             string
	Seq            int64 // position in the whole log, assigned by the store
	CustomerID     string
	ConversationID string // empty for events outside a conversation
	// Type names what happened: "message", "conversation_opened", "owner_changed", "bot_turn", "tool_call",
	// "model_error", or a business event name such as "order_placed".
	Type    string
	Channel string
	Actor   Actor
	Cause   string
	Payload json.RawMessage // a JSON object; nil when there is nothing more to say
	// Key is an optional idempotency key, unique across the log: a second event with the same key is not stored.
	Key  string
	Time time.Time
}

// EventQuery selects events, oldest first.
type EventQuery struct {
	CustomerID     string // required unless ConversationID is set
	ConversationID string
	AfterSeq       int64
	Limit          int // 0 means a store default (100)
	// Newest selects the newest Limit events (after AfterSeq) instead of the oldest; they are still returned oldest
	// first.
	Newest bool
}

// Passage is one chunk of a knowledge page.
type Passage struct {
	Source  string   // the file, relative to the knowledge folder, e.g. "shipping.md"
	Title   string   // the page title
	Heading string   // the section heading the chunk sits under, if any
	URL     string   // the page on the company's site, when known
	Stages  []string // journey stages the page is tagged with (front matter)
	Text    string
	// Score is the search relevance, higher is better (the negated BM25 rank); zero outside search results.
	Score float64
}

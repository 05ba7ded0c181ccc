package journeystate

import (
	"context"
	"time"
)

// Store keeps journeybot's state. Every method is one transaction and is safe for concurrent use. Methods return
// ErrNotFound when a row asked for by id does not exist and ErrConflict when a write would break a uniqueness or
// state rule; other errors are the backend's, wrapped with context.
type Store interface {
	// ResolveIdentity returns the customer known by (claim.Channel, claim.ExternalID), creating the customer and the
	// identity when there is none. A new customer's profile is filled from claim.Profile; an existing one is left as
	// it is.
	ResolveIdentity(ctx context.Context, claim IdentityClaim) (Customer, error)
	// FindIdentity returns the identity (channel, externalID) without creating anything, or ErrNotFound.
	FindIdentity(ctx context.Context, channel, externalID string) (Identity, error)
	// Customer returns one customer, or ErrNotFound. A merged customer is returned as it is, with MergedInto set.
	Customer(ctx context.Context, id string) (Customer, error)
	// Identities returns the customer's identities, oldest first (none for a merged customer).
	Identities(ctx context.Context, customerID string) ([]Identity, error)
	// UpdateCustomer applies u to the customer and records a "customer_updated" event with u's actor and cause, in
	// one transaction, and returns the customer as stored. An update that changes nothing records nothing.
	// ErrNotFound when the customer does not exist; ErrConflict when it has been merged into another.
	UpdateCustomer(ctx context.Context, id string, u CustomerUpdate) (Customer, error)
	// SetStage moves the customer to change.To and records a "stage_changed" event, in one transaction. When the
	// customer is in change.To already it changes nothing and returns changed false. ErrConflict when the stored stage
	// is not change.From (another change came first) or the customer has been merged; ErrNotFound when there is no
	// such customer. The store does not know the journey map: the caller checks that the stage exists.
	SetStage(ctx context.Context, customerID string, change StageChange) (c Customer, changed bool, err error)
	// SetSummary replaces the customer's memory summary with summary and marks the conversation summarized up to
	// seq (Conversation.SummarizedSeq), recording a "summary_updated" event, in one transaction. ErrNotFound when the
	// conversation does not exist or is not the customer's.
	SetSummary(ctx context.Context, customerID, conversationID string, seq int64, summary string) (Customer, error)

	// Identify attaches the claims to the customer, in one transaction:
	//   - a verified claim whose (channel, external id) is unknown becomes the customer's identity; one the customer
	//     holds at a lower level is raised to verified;
	//   - a verified claim held by another customer merges the two (the older customer survives; the other's
	//     identities, conversations and events move to it and it is marked MergedInto), unless MergeConflict finds
	//     a reason not to or an earlier merge of the two was undone: then nothing moves, the refusal is returned and
	//     a "merge_refused" event recorded;
	//   - a claim below verified never resolves or merges anything: it fills the customer's empty profile fields and
	//     is recorded as an "identity_claimed" event.
	// Each merge records a "customers_merged" event on the survivor with evidence. ErrNotFound when the customer
	// does not exist; a customer merged earlier is followed to its survivor.
	Identify(ctx context.Context, customerID string, claims []IdentityClaim, evidence string) (IdentifyResult, error)
	// DetachIdentity moves the identity (channel, externalID) from its customer to a new customer of its own, with
	// an empty profile, and records an "identity_detached" event on both with actor and cause, in one transaction:
	// for a shared browser on which another person signs in. The conversations, messages and events stay with the
	// customer they belong to. It returns the new customer; ErrNotFound when there is no such identity.
	DetachIdentity(ctx context.Context, channel, externalID string, actor Actor, cause string) (Customer, error)
	// Merges returns the merges the customer took part in, as survivor or absorbed, newest first.
	Merges(ctx context.Context, customerID string) ([]Merge, error)
	// Unmerge undoes a merge: the absorbed customer stands on its own again with its profile, traits and memory as
	// they were before the merge, and gets back the identities, conversations (with their messages) and events that
	// moved; what the survivor gained since stays with it. The two are never merged automatically again. It records
	// a "customers_unmerged" event on both. ErrNotFound for an unknown merge; ErrConflict when it was undone already
	// or the survivor has since been merged into a third customer (undo that first).
	Unmerge(ctx context.Context, mergeID string, actor Actor, cause string) (survivor, restored Customer, err error)

	// OpenConversation returns the customer's newest conversation on (channel, threadID) that is not closed, or opens
	// a new one owned by the bot and records a "conversation_opened" event; opened says which.
	OpenConversation(ctx context.Context, customerID, channel, threadID string) (conv Conversation, opened bool, err error)
	// LatestConversation returns the customer's newest conversation on (channel, threadID), closed or not, or
	// ErrNotFound.
	LatestConversation(ctx context.Context, customerID, channel, threadID string) (Conversation, error)
	// Conversation returns one conversation, or ErrNotFound.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// UnansweredConversations returns up to limit conversations the bot owns, updated at or after since, that
	// hold a customer message no reply has answered, least recently updated first: messages acknowledged but never
	// answered because the server stopped in between. A bot reply answers the message its Meta.ReplyTo names and
	// every message before that one; a message by anyone else but the customer answers every message before it.
	// limit 0 means a store default (100).
	UnansweredConversations(ctx context.Context, since time.Time, limit int) ([]Conversation, error)
	// QuietConversations returns up to limit conversations whose newest message was stored before before and that
	// hold messages the customer's summary has not taken in (SummarizedSeq < LastSeq), least recently updated first.
	// limit 0 means a store default (100).
	QuietConversations(ctx context.Context, before time.Time, limit int) ([]Conversation, error)
	// SetOwner moves a conversation to a new owner and records an "owner_changed" event with the change's actor and
	// cause, as a compare-and-set on the stored owner: when journeystate.CheckTransition refuses the change against
	// the stored conversation (another change came first, the owner is already the one asked for, or the move is not
	// allowed), it returns that *TransitionError, an ErrConflict, and changes nothing. ErrNotFound when the
	// conversation does not exist.
	SetOwner(ctx context.Context, conversationID string, change OwnerChange) (Conversation, error)
	// Conversations returns the conversations q selects, longest with their owner first (OwnerSince, then id).
	Conversations(ctx context.Context, q ConversationQuery) ([]Conversation, error)
	// LatestHandoff returns the packet of the conversation's newest hand-off (the "handoff" event SetOwner stored),
	// or ErrNotFound when it was never handed off.
	LatestHandoff(ctx context.Context, conversationID string) (Handoff, error)
	// LinkConversation records that externalID names the conversation in kind, a namespace of another system's ids
	// ("slack_agent_thread": the Slack thread where agents work on it). Linking the same pair again changes
	// nothing; ErrConflict when externalID already names another conversation in kind; ErrNotFound when the
	// conversation does not exist.
	LinkConversation(ctx context.Context, kind, externalID, conversationID string) error
	// LinkedConversation returns the id of the conversation externalID names in kind, or ErrNotFound.
	LinkedConversation(ctx context.Context, kind, externalID string) (string, error)
	// ConversationLink returns the newest external id linked to the conversation in kind, or ErrNotFound.
	ConversationLink(ctx context.Context, kind, conversationID string) (string, error)

	// AppendMessage stores m in its conversation with the next sequence number, and records a "message" event, in
	// one transaction. ID, Seq and CreatedAt (when zero) are assigned by the store. When the customer already has a
	// message with m.ClientID, it changes nothing and returns that message with duplicate true. ErrNotFound when the
	// conversation does not exist.
	AppendMessage(ctx context.Context, m Message) (stored Message, duplicate bool, err error)
	// MessageByClientID returns the customer's message with that client id, or ErrNotFound.
	MessageByClientID(ctx context.Context, customerID, clientID string) (Message, error)
	// Messages returns up to limit messages of the conversation with Seq > afterSeq, oldest first.
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// RecentMessages returns the newest limit messages of the conversation, oldest first.
	RecentMessages(ctx context.Context, conversationID string, limit int) ([]Message, error)

	// AppendEvent adds e to the journey log; ID, Seq and Time (when zero) are assigned by the store. When e.Key is
	// set and already used, it changes nothing and returns the stored event with duplicate true.
	AppendEvent(ctx context.Context, e Event) (stored Event, duplicate bool, err error)
	// Events returns the events the query selects, oldest first.
	Events(ctx context.Context, q EventQuery) ([]Event, error)

	// ReplaceKnowledge replaces the whole knowledge index with passages, recording version (a content hash of the
	// source folder) so that an unchanged folder need not be indexed again.
	ReplaceKnowledge(ctx context.Context, version string, passages []Passage) error
	// KnowledgeVersion returns the version recorded by the last ReplaceKnowledge and how many passages it indexed;
	// "" and 0 before the first.
	KnowledgeVersion(ctx context.Context) (version string, passages int, err error)
	// SearchKnowledge returns up to limit passages matching query, best first by BM25, with Score set. query is free
	// text from a customer or a model: every word in it is a term, any term may match, and no character in it has
	// a search-syntax meaning. An empty or term-less query returns no passages and no error.
	SearchKnowledge(ctx context.Context, query string, limit int) ([]Passage, error)

	// Transcripts returns one page of the conversations q selects, with what the transcript list shows of each;
	// see TranscriptQuery for the filters and the order. A cursor that is not the store's returns an error.
	Transcripts(ctx context.Context, q TranscriptQuery) (TranscriptPage, error)
	// SetTags replaces the conversation's tags with tags normalised by NormalizeTags (refused as NormalizeTags
	// refuses them) and records a "tags_changed" event with actor, and by (the user id) in its payload, in one
	// transaction; it returns the tags as stored. Tags equal to the stored ones record nothing. ErrNotFound when the
	// conversation does not exist.
	SetTags(ctx context.Context, conversationID string, tags []string, actor Actor, by string) ([]string, error)
	// SetReview sets the conversation's review mark (ReviewNone clears it) and records a "review_marked" event with
	// by and note (at most MaxReviewNote bytes), in one transaction. An unknown mark is refused. ErrNotFound when the
	// conversation does not exist.
	SetReview(ctx context.Context, conversationID string, mark ReviewMark, by, note string) error
	// RecordRating records the customer's rating (MinRating..MaxRating, anything else is refused) of the
	// conversation's newest close as a "rating" event on channel ("" is the conversation's), with comment (at most
	// MaxComment bytes); the newest rating is the conversation's. When the newest rating since that close is the
	// same rating and comment, it records nothing and returns duplicate true. ErrNotFound when the conversation
	// does not exist.
	RecordRating(ctx context.Context, conversationID string, rating int, channel, comment string) (duplicate bool, err error)
	// ConversationFacts returns the facts of the conversations q selects, oldest first.
	ConversationFacts(ctx context.Context, q FactsQuery) ([]ConversationFacts, error)
	// ScanEvents returns up to limit events of the whole journey log with Seq > afterSeq, in Seq order: for mining
	// and export. limit 0 means a store default (1000); a store may cap it (10000).
	ScanEvents(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
	// ScanCaseEvents returns up to limit events of the whole journey log ordered by customer, then Seq, after the
	// event (afterCustomer, afterSeq) in that order ("" and 0 for the start): the log grouped by case, as XES
	// wants it, read a page at a time. limit as ScanEvents.
	ScanCaseEvents(ctx context.Context, afterCustomer string, afterSeq int64, limit int) ([]Event, error)

	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store; no method may be called after it.
	Close() error
}

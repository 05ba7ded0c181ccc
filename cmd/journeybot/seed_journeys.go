package main

// The journeys seeded customers take, on Hearthly's shipped map (config.yaml): most follow its desired paths, some
// deviate from them, and a few take journeys the map does not describe, so that the dashboard's conformance and
// unknown-journey views have something to find. The stages are not written here: they are derived from the business
// events (Engine.Track) and the intents of the conversations, as the engine derives them, except for the moves an
// agent makes by hand (beatMove).

import "time"

// beatKind says what a beat of a journey is.
type beatKind int

const (
	beatEvent beatKind = iota // a business event from the company's systems
	beatChat                  // a conversation about an intent
	beatMove                  // an agent moves the customer to a stage by hand
)

// beat is one thing that happens in a journey, after a gap from the beat before.
type beat struct {
	kind beatKind
	name string  // the event, intent or stage
	p    float64 // the chance it happens; 0 means always
	gap  time.Duration
}

func ev(name string, gap time.Duration) beat { return beat{kind: beatEvent, name: name, gap: gap} }
func chat(intent string, p float64, gap time.Duration) beat {
	return beat{kind: beatChat, name: intent, p: p, gap: gap}
}
func move(stage string, gap time.Duration) beat { return beat{kind: beatMove, name: stage, gap: gap} }

// seedJourney is a kind of journey and how many customers in a hundred take it.
type seedJourney struct {
	name   string
	weight int
	// deviates marks journeys off the map's desired paths: their customers rate lower.
	deviates bool
	beats    []beat
}

const (
	hr  = time.Hour
	day = 24 * time.Hour
)

var seedJourneys = []seedJourney{
	// The designed paths.
	{name: "researched_purchase", weight: 18, beats: []beat{ev("page_viewed", 0), chat("product_question", .25, hr),
		ev("viewed_pricing", day), ev("viewed_pricing", day), ev("viewed_pricing", day), chat("buying", .5, 3*hr),
		ev("order_placed", 2*day), chat("order_status", .25, day), ev("order_delivered", 3*day),
		chat("installation_help", .45, 4*hr), ev("device_activated", day)}},
	{name: "researched_renewed", weight: 10, beats: []beat{ev("page_viewed", 0), ev("compatibility_checked", day),
		chat("buying", .4, hr), ev("order_placed", 2*day), ev("order_delivered", 3*day),
		chat("installation_help", .4, 3*hr), ev("device_activated", day), ev("trial_ending", 20*day),
		chat("cancel_subscription", .15, day), ev("subscription_renewed", 3*day)}},
	{name: "quick_purchase", weight: 14, beats: []beat{ev("page_viewed", 0), chat("buying", .3, hr),
		ev("order_placed", 6*hr), chat("order_status", .2, day), ev("order_delivered", 3*day),
		chat("installation_help", .5, 3*hr), ev("device_activated", day)}},
	{name: "supported_ownership", weight: 12, beats: []beat{ev("page_viewed", 0), ev("compatibility_checked", day),
		ev("order_placed", day), ev("order_delivered", 3*day), ev("device_activated", day), ev("device_offline", 5*day),
		ev("device_offline", 3*hr), chat("troubleshooting", 1, hr), ev("trial_ending", 15*day),
		ev("subscription_renewed", 3*day)}},
	{name: "more_devices", weight: 5, beats: []beat{ev("page_viewed", 0), ev("order_placed", day),
		ev("order_delivered", 3*day), ev("device_activated", day), ev("trial_ending", 12*day),
		ev("subscription_renewed", 2*day), chat("buying", .5, 2*day), ev("order_placed", day),
		ev("order_delivered", 3*day)}},
	// Fall-out: they stop part way.
	{name: "browsed", weight: 12, beats: []beat{ev("page_viewed", 0), chat("product_question", .4, hr),
		ev("viewed_pricing", day), ev("cart_started", 2*day), chat("buying", .5, hr)}},
	{name: "newsletter", weight: 5, beats: []beat{ev("signed_up_newsletter", 0), chat("product_question", .5, 2*day)}},
	// Deviations from the designed paths.
	{name: "bought_elsewhere", weight: 5, deviates: true, beats: []beat{ev("page_viewed", 0),
		ev("device_activated", 4*day), chat("installation_help", .7, hr)}},
	{name: "back_to_consideration", weight: 4, deviates: true, beats: []beat{ev("page_viewed", 0),
		ev("order_placed", day), ev("order_delivered", 3*day), ev("device_activated", day),
		ev("support_ticket_opened", 6*day), chat("troubleshooting", 1, hr), move("consideration", 2*hr),
		chat("buying", .6, day), ev("order_placed", day), ev("order_delivered", 3*day)}},
	{name: "churned", weight: 6, deviates: true, beats: []beat{ev("page_viewed", 0), ev("order_placed", day),
		ev("order_delivered", 3*day), ev("device_activated", day), ev("trial_ending", 20*day),
		chat("cancel_subscription", 1, day), ev("return_started", 2*day), chat("return_or_warranty", 1, hr)}},
	// Journeys the map does not describe.
	{name: "gift_recipient", weight: 4, deviates: true, beats: []beat{chat("troubleshooting", 1, 0),
		ev("device_activated", day), ev("trial_ending", 20*day), ev("order_placed", 3*day),
		ev("order_delivered", 3*day)}},
	{name: "consideration_support_loop", weight: 5, deviates: true, beats: []beat{ev("page_viewed", 0),
		ev("viewed_pricing", day), ev("viewed_pricing", day), ev("viewed_pricing", day),
		ev("support_ticket_opened", day), chat("buying", 1, hr), move("consideration", 2*hr),
		ev("support_ticket_opened", 3*day), move("consideration", day), ev("order_placed", 2*day)}},
}

package main

// What the seeded people say: the customers' questions by intent, the offline responder's answers with the shipped
// knowledge page each cites (knowledge/*.md: title, file, url), and the agents' replies by team.

import "github.com/journeybot/journeybot/journeystate"

// seedTopic is what customers write about one intent of the journey map, and what answers them.
type seedTopic struct {
	Openers   []string
	FollowUps []string
	Answers   []seedAnswer
	Agent     []string // what an agent says to solve it
	Tags      []string // tags a reviewer gives such conversations
}

// seedAnswer is a bot reply and the knowledge page it answers from.
type seedAnswer struct {
	Text string
	Page journeystate.Citation
}

// The shipped knowledge pages the answers cite.
var (
	pageProducts     = journeystate.Citation{Title: "The Hearthly Smart Thermostat", Source: "products.md", URL: "/products/thermostat"}
	pagePricing      = journeystate.Citation{Title: "Prices and plans", Source: "pricing.md", URL: "/pricing"}
	pageShipping     = journeystate.Citation{Title: "Shipping and delivery", Source: "shipping.md", URL: "/help/shipping"}
	pageInstallation = journeystate.Citation{Title: "Installation and wiring compatibility", Source: "installation.md", URL: "/help/installation"}
	pageTrouble      = journeystate.Citation{Title: "Troubleshooting", Source: "troubleshooting.md", URL: "/help/troubleshooting"}
	pageAccount      = journeystate.Citation{Title: "Your Hearthly account", Source: "account.md", URL: "/help/account"}
	pageReturns      = journeystate.Citation{Title: "Returns and refunds", Source: "returns.md", URL: "/help/returns"}
	pageWarranty     = journeystate.Citation{Title: "Warranty and repairs", Source: "warranty.md", URL: "/help/warranty"}
	pagePlus         = journeystate.Citation{Title: "Hearthly Plus subscription", Source: "hearthly-plus.md", URL: "/help/hearthly-plus"}
)

var seedTopics = map[string]seedTopic{
	"product_question": {
		Openers: []string{"Does the Hearthly thermostat work with Alexa?", "How do room sensors work?",
			"What does it do that my old programmable thermostat doesn't?", "Does it work with Google Home?"},
		FollowUps: []string{"And can I control it when I'm away from home?", "Does it learn my schedule?"},
		Answers: []seedAnswer{
			{"Yes: the thermostat works with Alexa, Google Home and Apple Home, and you can control it from anywhere in the app.", pageProducts},
			{"Room sensors measure the temperature where you are, so the thermostat heats the rooms you use instead of the hallway.", pageProducts},
		},
		Agent: []string{"Happy to help you compare! Most homes like yours start with the thermostat and one room sensor."},
	},
	"buying": {
		Openers: []string{"How much is the Starter Bundle?", "Is it compatible with my furnace? It's a gas furnace from 2009.",
			"Do you have a promo code?", "Which one should I buy for a three-bedroom house?", "How much is shipping to Canada?"},
		FollowUps: []string{"Is there a trial period if it doesn't suit us?", "Does the bundle include the sensors?"},
		Answers: []seedAnswer{
			{"The thermostat is $169 and the Starter Bundle (thermostat and two room sensors) $229, with free shipping from $99 and a 60-day home trial.", pagePricing},
			{"Most 24 V systems work, gas furnaces included; line-voltage baseboard heaters do not. The compatibility checker tells you in two minutes.", pageInstallation},
			{"Orders ship free from $99 to the US and Canada, and leave the same day when placed before 2 p.m. Eastern.", pageShipping},
		},
		Agent: []string{"For three bedrooms I'd go with the Starter Bundle: the two sensors cover the bedrooms that run cold.",
			"There's no promo code right now, but the 60-day home trial means you can return it for free."},
		Tags: []string{"pre-sales"},
	},
	"order_status": {
		Openers: []string{"Where is my order? It said it shipped on Monday.", "Can I get a tracking number for my order?",
			"I need to cancel my order, I ordered the wrong bundle."},
		FollowUps: []string{"It still says label created.", "Can it be delivered to my office instead?"},
		Answers: []seedAnswer{
			{"You'll find tracking in the app under Settings > Orders; orders placed before 2 p.m. Eastern leave the same day.", pageShipping},
			{"An order can be changed or cancelled within 1 hour of ordering; after that, the 60-day return is free.", pageReturns},
		},
		Agent: []string{"I checked with the carrier: your parcel is at the local depot and arrives tomorrow.",
			"I've cancelled the order; the refund reaches your card in 3 to 5 business days."},
		Tags: []string{"shipping"},
	},
	"installation_help": {
		Openers: []string{"I have no C-wire, what do I do?", "Which wire goes where? I have R, W, Y and G.",
			"How do I pair with the app? It can't find the thermostat.", "The app says my Wi-Fi is 5 GHz only."},
		FollowUps: []string{"I turned the power off, now what?", "The Power Adapter has two loose wires, where do they go?"},
		Answers: []seedAnswer{
			{"No C-wire is fine: the Power Adapter in the box supplies one at the furnace control board. Turn off the power first.", pageInstallation},
			{"Photograph and label the wires before you remove the old thermostat, then match the labels on the Hearthly base.", pageInstallation},
			{"The thermostat pairs on a 2.4 GHz network: most routers can turn one on next to the 5 GHz one.", pageTrouble},
		},
		Agent: []string{"If your system has no C-wire, the Power Adapter in the box supplies one: it fits at the furnace control board and takes about ten minutes. Shall I walk you through it?",
			"Let's do it together: send me a photo of the wires at the furnace board and I'll tell you where each goes."},
		Tags: []string{"c-wire", "installation"},
	},
	"troubleshooting": {
		Openers: []string{"My thermostat is offline again.", "It's not heating even though the screen says heating.",
			"Low battery warning on the bedroom sensor, I just changed it.", "I can't log in to the app."},
		FollowUps: []string{"I restarted it and it's still offline.", "The temperature it shows is three degrees off."},
		Answers: []seedAnswer{
			{"Hold the screen for 10 seconds to restart it, and check that it's on a 2.4 GHz network.", pageTrouble},
			{"Check the temperature offset under Settings > Sensors, and that the furnace switch is on.", pageTrouble},
			{"Reset your password from the sign-in screen; the link is valid for an hour.", pageAccount},
		},
		Agent: []string{"I can see the thermostat dropping off your Wi-Fi every night: your router's band steering moves it. Let's pin it to 2.4 GHz.",
			"That's a known bug in firmware 4.2 that we fixed in 4.3; I've pushed the update to your thermostat."},
		Tags: []string{"bug", "wifi"},
	},
	"return_or_warranty": {
		Openers: []string{"I want to return it and get a refund.", "The screen cracked, is that covered by warranty?",
			"Can I get a replacement? It died after three weeks."},
		FollowUps: []string{"I still have the box.", "How long does the refund take?"},
		Answers: []seedAnswer{
			{"Returns are free within 60 days: start one in the app under Settings > Orders and we email a prepaid label.", pageReturns},
			{"The warranty covers defects for 2 years (3 with Hearthly Plus); accidental damage is not covered.", pageWarranty},
		},
		Agent: []string{"I've started your return; the prepaid label will reach your email within the hour.",
			"I've approved a replacement under warranty; it ships today with a return label for the old one."},
		Tags: []string{"billing", "refund"},
	},
	"cancel_subscription": {
		Openers: []string{"How do I cancel Hearthly Plus?", "Please don't renew my plan.",
			"I was charged for a renewal I didn't want, can I get a refund?"},
		FollowUps: []string{"Will my thermostat still work without it?"},
		Answers: []seedAnswer{
			{"Cancel any time under Settings > Subscription > Cancel Hearthly Plus; everything keeps working without it.", pagePlus},
			{"Yearly plans cancelled within 14 days of a renewal are refunded in full.", pagePlus},
		},
		Agent: []string{"I've cancelled the renewal and refunded this year's charge; you'll see it in 3 to 5 business days."},
		Tags:  []string{"billing"},
	},
}

// Other things the seeded people say.
var (
	seedAskPerson  = []string{"Can I talk to a person?", "I'd rather speak to someone, please.", "Real person please.", "Can I talk to an agent?"}
	seedNegative   = []string{"This is useless, I already tried that.", "That's not helping. This is so frustrating.", "That makes no sense, this is ridiculous.", "Not helpful at all."}
	seedThanks     = []string{"That worked, thank you!", "Perfect, thanks.", "Great, that's all I needed.", "Thanks, got it."}
	seedUnknown    = "I'm not sure about that one, and I couldn't find it in our help pages. Could you put it another way?"
	seedAgentHello = "Hi, thanks for waiting! I've read what you told the assistant, so no need to repeat it."
	seedAgentBye   = "Is there anything else I can help you with today?"
	seedHandoffMsg = "I'm handing this conversation to a person on our team. Someone will be with you shortly."
	seedComments   = map[int][]string{
		1: {"Waited forever and nothing was solved.", "Not helpful."},
		2: {"Took too long.", "Had to repeat myself."},
		4: {"Good, thanks.", ""},
		5: {"Quick and friendly!", "Solved in minutes, thank you.", ""},
	}
)

// Names of the seeded people, all fictional.
var (
	seedFirstNames = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas",
		"Mia", "Logan", "Amelia", "Elijah", "Harper", "James", "Evelyn", "Benjamin", "Chloe", "Henry", "Aiko", "Mateo",
		"Zara", "Ravi", "Ingrid", "Kwame", "Lena", "Omar", "Sofia", "Tariq", "Yuki", "Nadia", "Pierre", "Grace"}
	seedLastNames = []string{"Smith", "Tremblay", "Nguyen", "Garcia", "Roy", "Johnson", "Gagnon", "Patel", "Brown",
		"Martin", "Kim", "Wilson", "Lee", "Côté", "Anderson", "Singh", "Thompson", "Chen", "Lavoie", "Walker",
		"Okafor", "Müller", "Rossi", "Haddad", "Silva", "Novak", "Fischer", "Murphy", "Kowalski", "Bergeron"}
	seedEmailDomains = []string{"example.com", "example.net", "example.org"}
	// seedAreaCodes are real area codes of the US and Canada; with 555-0100 to 555-0199, the numbers reserved
	// for fiction, they give every seeded phone number.
	seedAreaCodes = []string{"212", "312", "415", "617", "206", "303", "512", "404", "213", "305", "416", "604",
		"514", "403", "613", "202", "215", "602", "612", "503", "702", "713", "818", "919", "720", "646", "773",
		"408", "510", "619", "647", "778", "587", "902", "808", "901", "615", "414", "314", "216"}
)

// seedExtraAgents are fictional agents besides the demo's console accounts, each with the teams they work. They
// get a random password: nobody signs in as them.
var seedExtraAgents = []struct{ Email, Name string }{
	{"priya@demo.hearthly.example", "Priya Natarajan"},
	{"diego@demo.hearthly.example", "Diego Alvarez"},
	{"hana@demo.hearthly.example", "Hana Kobayashi"},
	{"tom@demo.hearthly.example", "Tom Becker"},
	{"amara@demo.hearthly.example", "Amara Okafor"},
}

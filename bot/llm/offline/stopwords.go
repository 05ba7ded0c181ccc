package offline

// stopWords are English words that carry no topic: they are dropped from a question before searching and before
// judging whether a passage answers it. Besides the usual function words the list has the verbs and fillers of
// customer questions ("can you tell me how long it takes"), and the pieces that splitting contractions leaves
// ("don't" → "don", "t").
var stopWords = setOf(
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "anyone",
	"anything", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
	"by", "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each", "either", "else", "even",
	"ever", "every", "few", "for", "from", "further", "get", "gets", "getting", "give", "go", "goes", "going", "got",
	"had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if",
	"in", "into", "is", "it", "its", "itself", "just", "know", "let", "like", "long", "lot", "make", "may", "me",
	"might", "mine", "more", "most", "much", "must", "my", "myself", "need", "needs", "no", "nor", "not", "now", "of",
	"off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "please",
	"pls", "plz", "possible", "question", "quick", "really", "same", "say", "see", "she", "should", "so", "some",
	"someone", "something", "soon", "still", "such", "sure", "take", "takes", "taking", "tell", "than", "that",
	"the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "thing", "things", "this",
	"those", "through", "to", "too", "try", "trying", "under", "until", "up", "us", "use", "very", "want", "wanted",
	"wants", "was", "way", "we", "well", "were", "what", "whats", "when", "where", "whether", "which", "while", "who",
	"whom", "why", "will", "with", "wonder", "wondering", "would", "yet", "you", "your", "yours", "yourself",
	"yourselves", "ago", "today", "yesterday", "tomorrow", "recently", "week", "weeks", "last",
	// Pieces of contractions.
	"s", "t", "m", "d", "ll", "re", "ve", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "hasn", "haven",
	"hadn", "won", "wouldn", "shouldn", "couldn", "cant", "dont", "doesnt", "im", "ive",
)

// greetingWords make a message a greeting when it has no other content word; helpWords are greetings too ("I need
// help"); thanksWords make it a thanks. All three are left out of a search.
var (
	greetingWords = setOf("hi", "hello", "hey", "heya", "hiya", "howdy", "yo", "greetings", "good", "morning",
		"afternoon", "evening", "day", "there", "help", "anybody", "hallo")
	thanksWords = setOf("thanks", "thank", "thx", "ty", "cheers", "appreciate", "appreciated", "great", "awesome",
		"perfect", "ok", "okay", "cool", "nice", "bye", "goodbye", "helpful", "helped", "excellent", "wonderful",
		"brilliant", "lovely")
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

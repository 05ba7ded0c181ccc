package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"mention of the app dropped", "<@UBOT> where is my order?", "where is my order?"},
		{"other user", "ask <@U123> or <@U456|dana>", "ask @U123 or @dana"},
		{"channel", "see <#C1|general>", "see #general"},
		{"link with label", "read <https://x.test/a?b=1&amp;c=2|this>", "read this (https://x.test/a?b=1&c=2)"},
		{"bare link", "<https://x.test>", "https://x.test"},
		{"mailto", "<mailto:a@b.test|a@b.test>", "a@b.test"},
		{"special mention", "<!here> help", "@here help"},
		{"escapes undone", "1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"},
		{"escaped brackets stay text", "&lt;@UBOT&gt;", "<@UBOT>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainText(tt.in, "UBOT"); got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestToMrkdwn(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello there.", "Hello there."},
		{"a title posing as another address", "[https://hearthly.com/account](https://evil.example/login)", "<https://evil.example/login>"},
		{"a title naming another host", "<https://evil.example/x|hearthly.com support>", "<https://evil.example/x>"},
		{"a title naming the same host", "[hearthly.com/help](https://www.hearthly.com/help)", "<https://www.hearthly.com/help|hearthly.com/help>"},
		{"a plain title", "[the installation guide](https://hearthly.com/help/installation)", "<https://hearthly.com/help/installation|the installation guide>"},
		{"a mailto title", "[support@hearthly.com](mailto:support@hearthly.com)", "<mailto:support@hearthly.com|support@hearthly.com>"},
		{"escapes", "1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2"},
		{"no @channel from the model", "<!channel> look", "&lt;!channel&gt; look"},
		{"no user mention from the model", "<@U123> look", "&lt;@U123&gt; look"},
		{"Slack link kept", "see <https://x.test/a?b=1|the page>", "see <https://x.test/a?b=1|the page>"},
		{"bare Slack link kept", "see <https://x.test>", "see <https://x.test>"},
		{"Markdown link", "see [the page](https://x.test/a)", "see <https://x.test/a|the page>"},
		{"link title escaped", "[a & <b>](https://x.test)", "<https://x.test|a &amp; &lt;b&gt;>"},
		{"javascript link is text", "[x](javascript:alert(1))", "[x](javascript:alert(1))"},
		{"bold", "**Free** shipping", "*Free* shipping"},
		{"heading", "## Returns\nWithin 30 days", "*Returns*\nWithin 30 days"},
		{"escaped already", "Tom &amp; Jerry", "Tom &amp; Jerry"},
		{"placeholder forgery", "\x000\x00 and <https://x.test>", "0 and <https://x.test>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toMrkdwn(tt.in); got != tt.want {
				t.Errorf("toMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	long := toMrkdwn(strings.Repeat("é", maxPostRunes+10))
	if n := utf8.RuneCountInString(long); n != maxPostRunes || !strings.HasSuffix(long, "…") {
		t.Errorf("a long reply is %d runes, want %d ending in …", n, maxPostRunes)
	}
}
